/**
 * Probes and service information: `/` (name, version, links), `/health` (liveness with the time in
 * IST, seeds 000/001/004), `/ready` (database, migrations, job runner, Redis when REDIS_URL is set;
 * 503 naming the failing part),
 * `/metrics` (Prometheus). All four are public (`config: { public: true }`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { pendingMigrations } from '../../db/migrate.ts';
import { zoneClock } from '../../lib/time.ts';

const healthResponse = z.object({
  status: z.literal('ok'),
  service: z.string(),
  version: z.string(),
  time: z.string().describe('Current time in LOG_TIMEZONE (IST by default) with its offset'),
  timezone: z.string(),
  uptime_seconds: z.number(),
  clock: z.object({ server: z.string().nullable(), offset_ms: z.number().nullable(), checked_at: z.string().nullable() }),
});

const checkResult = z.object({ status: z.enum(['ok', 'failing']), detail: z.string().optional() });
const readyResponse = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    database: checkResult,
    migrations: checkResult,
    jobs: checkResult,
    redis: checkResult.optional().describe('Present when REDIS_URL is set: shared rate budgets, caches and OAuth state live there'),
  }),
});

function serializeHealth(body: unknown): string {
  return JSON.stringify(body);
}

export function systemRoutes(context: AppContext): FastifyPluginAsyncZod {
  const timezone = context.config.log.timezone;
  // Intl is asked once a minute; the seconds and milliseconds are arithmetic (src/lib/time.ts).
  const clock = zoneClock(timezone);
  return async (app) => {
    app.get(
      '/',
      {
        config: { public: true },
        schema: {
          tags: ['system'],
          summary: 'Service name, version and links',
          response: {
            200: z.object({ name: z.string(), version: z.string(), links: z.record(z.string(), z.string()) }),
          },
        },
      },
      async () => ({
        name: 'integration-service',
        version: context.version,
        links: { health: '/health', ready: '/ready', docs: '/docs', openapi: '/openapi.json', metrics: '/metrics', api: '/api/v1' },
      }),
    );

    app.get(
      '/health',
      {
        config: { public: true },
        schema: { tags: ['system'], summary: 'Liveness, with the current time in IST', response: { 200: healthResponse } },
        // The zod schema documents the answer (OpenAPI); the handler builds it from typed values
        // only, so the probe skips the per-request zod check and serializes directly.
        serializerCompiler: () => serializeHealth,
      },
      async () => {
        const now = Date.now();
        return {
          status: 'ok' as const,
          service: 'integration-service',
          version: context.version,
          time: clock(now),
          timezone,
          uptime_seconds: Math.round((now - context.startedAt) / 1000),
          clock: { server: context.clock.server, offset_ms: context.clock.offsetMs, checked_at: context.clock.checkedAt },
        };
      },
    );

    app.get(
      '/ready',
      {
        config: { public: true },
        schema: {
          tags: ['system'],
          summary: 'Readiness: database answers, migrations current, job runner up, Redis answers (when REDIS_URL is set)',
          response: { 200: readyResponse, 503: readyResponse },
        },
      },
      async (_request, reply) => {
        const database = await context.db
          .ping()
          .then(() => ({ status: 'ok' as const }))
          .catch((error: Error) => {
            // Driver messages can name hosts and users; the probe is public, so the detail stays in the log.
            context.logger.error({ err: error }, 'readiness: database did not answer');
            return { status: 'failing' as const, detail: 'database did not answer' };
          });
        const migrations =
          database.status === 'ok'
            ? await pendingMigrations(context.db)
                .then((pending) =>
                  pending === 0 ? { status: 'ok' as const } : { status: 'failing' as const, detail: `${pending} migration(s) not applied; run \`integration-service migrate\`` },
                )
                .catch(() => ({ status: 'failing' as const, detail: 'migration state unreadable' }))
            : { status: 'failing' as const, detail: 'database unavailable' };
        const jobs = context.queue.running ? { status: 'ok' as const } : { status: 'failing' as const, detail: 'job runner is not started' };
        // With REDIS_URL set, a Redis outage would silently split rate budgets and lose OAuth state: not ready.
        const redis =
          context.sharedState.backend === 'redis'
            ? await context.sharedState
                .ping()
                .then(() => ({ status: 'ok' as const }))
                .catch((error: Error) => {
                  context.logger.error({ err: error }, 'readiness: redis did not answer');
                  return { status: 'failing' as const, detail: 'redis (REDIS_URL) did not answer' };
                })
            : undefined;
        const ready = database.status === 'ok' && migrations.status === 'ok' && jobs.status === 'ok' && redis?.status !== 'failing';
        return reply
          .status(ready ? 200 : 503)
          .send({ status: ready ? 'ready' : 'not_ready', checks: { database, migrations, jobs, ...(redis ? { redis } : {}) } });
      },
    );

    app.get(
      '/metrics',
      // Public for scrapers; docs/operations.md says to expose it only to the monitoring network.
      { config: { public: true }, schema: { tags: ['system'], summary: 'Prometheus metrics', hide: false } },
      async (_request, reply) => {
        const body = await context.metrics.metrics();
        return reply.type(context.metrics.contentType).send(body);
      },
    );
  };
}
