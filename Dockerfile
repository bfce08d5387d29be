# syntax=docker/dockerfile:1
#
# Integration Service image. The service is TypeScript run directly by Node 24 (type stripping), so
# there is no build step for it: the image holds src/, bin/, the production node_modules, git (the
# fix-PR engine runs git) and the web UI built in its own stage (web/dist). Build: `docker build -t integration-service .`
# Optional check stage (typecheck + lint with the dev dependencies): `docker build --target check .`

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# --- all dependencies, for the optional check stage --------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM deps AS check
COPY tsconfig.json eslint.config.js vitest.config.ts drizzle.config.ts ./
COPY src ./src
COPY bin ./bin
COPY test ./test
COPY bench ./bench
COPY scripts ./scripts
RUN npx tsc --noEmit -p . && npx eslint .

# --- the web UI, built with the dev dependencies (Vite, React, Mantine); only web/dist is kept ----
FROM deps AS web
COPY web ./web
COPY scripts/build-web.ts ./scripts/build-web.ts
RUN node scripts/build-web.ts

# --- production dependencies only --------------------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# git for the fix-PR engine (https remotes need ca-certificates); tini reaps git's helper processes
# and forwards SIGTERM so the service shuts down gracefully.
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates tini \
  && rm -rf /var/lib/apt/lists/*

# No PORT here: the configuration defaults it (3001), and a baked PORT would hide the seed alias
# APP_PORT passed at run time (PORT wins over APP_PORT).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data

WORKDIR /app
# Application files stay owned by root (read-only to the service); only DATA_DIR is writable.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
COPY --from=web /app/web/dist ./web/dist
RUN mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 3001

# Node's own fetch: slim images have no curl. Probes the port the service listens on (PORT, or the
# seed alias APP_PORT, default 3001). /ready answers 503 until the database, migrations and job
# runner are up; the start period covers the embedded database's first open.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || process.env.APP_PORT || 3001) + '/ready', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "src/main/cli.ts", "serve"]
