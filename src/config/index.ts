/**
 * Turns the raw environment into the typed configuration every module receives. Reports every
 * problem at once, one line per variable, and never echoes a variable's value (it may be a secret).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crossFieldProblems, environmentSchema, type jwtAlgorithms } from './schema.ts';

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  migrateOnStart: boolean;
  runWorker: boolean;
  jobs: {
    concurrency: number;
    timeoutSeconds: number;
    maxAttempts: number;
    retryDelaySeconds: number;
    retryDelayMaxSeconds: number;
    /** Heartbeat of in-process batch runs; a run whose owner missed three beats is failed by any process. */
    runHeartbeatSeconds: number;
    /** In-process batch runs (request credentials) one process works at once. */
    inProcessRunsMax: number;
    /** Seconds between SLA breach scans queued by this process; 0 = never (src/services/sla). */
    slaScanIntervalSeconds: number;
    ticketSyncIntervalSeconds: number;
  };
  jwt: {
    algorithm: (typeof jwtAlgorithms)[number];
    /** null on the embedded default: a secret is then generated in DATA_DIR. */
    secret: string | null;
    publicKeyPem: string | null;
    jwksUrl: string | null;
    issuer: string | null;
    audience: string | null;
    clockToleranceSeconds: number;
    /** Longest accepted token lifetime (exp - iat); tokens without iat or exp are refused when set. */
    maxTtlSeconds: number | null;
    /** Refuse tokens without an `org` claim instead of treating them as `demo-org`. */
    requireOrgClaim: boolean;
  };
  corsOrigins: '*' | string[];
  /** Fastify's trustProxy: whose X-Forwarded-* headers set the client address and protocol. */
  trustProxy: boolean | string[];
  encryptionKeys: string | null;
  ntp: { server: string | null; timeoutMs: number };
  log: { level: string; timezone: string };
  outbound: { allowedHosts: string[]; timeoutMs: number };
  bodyLimitBytes: number;
  /** Largest scanner report `POST /api/v1/findings/import` accepts (streamed, never held in memory). */
  importMaxBytes: number;
  /** How long Jira search may lag behind a create; an unconfirmed create is not repeated before it passes. */
  jiraSearchConsistencyMs: number;
  atlassianOAuth: { clientId: string; clientSecret: string; redirectUri: string | null } | null;
  /** PEM file paths; the service serves HTTPS when set. */
  tls: { certFile: string; keyFile: string } | null;
  webhooks: { maxBytes: number; secretOverlapSeconds: number; publicBaseUrl: string | null };
  /** Atlassian's hosts (real defaults; simulators in development) and the scopes asked for at consent. */
  atlassian: { authUrl: string; apiUrl: string; scopes: string[] };
  /** Web UI sessions: idle and absolute lifetimes. */
  sessions: { idleMinutes: number; maxHours: number };
  /** The first admin from ADMIN_USERNAME/ADMIN_PASSWORD (created at start when missing). */
  admin: { username: string; password: string; org: string } | null;
  /** The built single-page app (index.html and assets) served at /. */
  webUiDir: string;
}

/** Seed 004's scopes (Jira and Confluence, classic) plus read:me for the account id. */
export const DEFAULT_ATLASSIAN_SCOPES = [
  'offline_access',
  'read:jira-user',
  'read:jira-work',
  'write:jira-work',
  'read:confluence-space.summary',
  'read:confluence-content.all',
  'write:confluence-content',
  'read:confluence-props',
  'read:me',
];

function scopeList(value: string | undefined): string[] {
  const listed = value ? value.split(/[\s,]+/).filter(Boolean) : DEFAULT_ATLASSIAN_SCOPES;
  // A refresh token only comes with offline_access: without it every connection dies within the hour.
  return [...new Set(['offline_access', ...listed])];
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function emptyToUndefined(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) out[key] = value === '' ? undefined : value;
  return out;
}

export function loadConfig(rawEnv: Record<string, string | undefined>, cwd: string = process.cwd()): Config {
  const raw = emptyToUndefined(rawEnv);
  const parsed = environmentSchema.safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const name = issue.path.join('.') || 'environment';
        // zod does not keep the input on its issues: "missing" is read from the environment itself,
        // so a value of the wrong type (PORT=abc) is reported as such, not as "is required".
        const missing = issue.path.length === 1 && raw[String(issue.path[0])] === undefined;
        const notANumber = issue.code === 'invalid_type' && issue.expected === 'number';
        const message = issue.code === 'invalid_type' && missing ? 'is required' : notANumber ? 'must be a number' : issue.message;
        return `${name}: ${message}`;
      });
  problems.push(...crossFieldProblems(raw));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const env = parsed.data;
  const cors = env.CORS_ORIGINS.trim();
  // Seed 002 names its app JIRA_*, seed 004 ATLASSIAN_*: the same Atlassian 3LO app either way.
  const clientId = env.ATLASSIAN_CLIENT_ID ?? env.JIRA_CLIENT_ID;
  const clientSecret = env.ATLASSIAN_CLIENT_SECRET ?? env.JIRA_CLIENT_SECRET;
  return {
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT ?? env.APP_PORT ?? 3001,
    dataDir: path.resolve(cwd, env.DATA_DIR),
    databaseUrl: env.DATABASE_URL ?? null,
    redisUrl: env.REDIS_URL ?? null,
    migrateOnStart: env.MIGRATE_ON_START,
    runWorker: env.RUN_WORKER,
    jobs: {
      concurrency: env.WORKER_CONCURRENCY,
      timeoutSeconds: env.JOB_TIMEOUT_SECONDS,
      maxAttempts: env.JOB_MAX_ATTEMPTS,
      retryDelaySeconds: env.JOB_RETRY_DELAY_SECONDS,
      retryDelayMaxSeconds: env.JOB_RETRY_DELAY_MAX_SECONDS,
      runHeartbeatSeconds: env.RUN_HEARTBEAT_SECONDS,
      inProcessRunsMax: env.RUNS_IN_PROCESS_MAX,
      slaScanIntervalSeconds: env.SLA_SCAN_INTERVAL_SECONDS,
      ticketSyncIntervalSeconds: env.TICKET_SYNC_INTERVAL_SECONDS,
    },
    jwt: {
      algorithm: env.JWT_ALGORITHM,
      secret: env.JWT_SECRET_KEY ?? env.JWT_SECRET ?? null,
      publicKeyPem: env.JWT_PUBLIC_KEY ? env.JWT_PUBLIC_KEY.replace(/\\n/g, '\n') : null,
      jwksUrl: env.JWKS_URL ?? null,
      issuer: env.JWT_ISSUER ?? null,
      audience: env.JWT_AUDIENCE ?? null,
      clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_SECONDS,
      maxTtlSeconds: env.JWT_MAX_TTL_SECONDS ?? null,
      requireOrgClaim: env.JWT_REQUIRE_ORG_CLAIM,
    },
    corsOrigins:
      cors === '*'
        ? '*'
        : cors
            .split(',')
            .map((origin) => origin.trim())
            .filter(Boolean),
    trustProxy: env.TRUST_PROXY,
    encryptionKeys: env.ENCRYPTION_KEYS ?? null,
    ntp: { server: env.NTP_SERVER.toLowerCase() === 'off' ? null : env.NTP_SERVER, timeoutMs: env.NTP_TIMEOUT_MS },
    log: { level: env.LOG_LEVEL, timezone: env.LOG_TIMEZONE },
    outbound: { allowedHosts: env.OUTBOUND_ALLOWED_HOSTS, timeoutMs: env.OUTBOUND_TIMEOUT_MS },
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    importMaxBytes: env.IMPORT_MAX_BYTES,
    jiraSearchConsistencyMs: env.JIRA_SEARCH_CONSISTENCY_SECONDS * 1000,
    atlassianOAuth:
      clientId && clientSecret
        ? {
            clientId,
            clientSecret,
            redirectUri: env.ATLASSIAN_REDIRECT_URI ?? env.JIRA_REDIRECT_URI ?? null,
          }
        : null,
    atlassian: {
      authUrl: env.ATLASSIAN_AUTH_URL.replace(/\/+$/, ''),
      apiUrl: env.ATLASSIAN_API_URL.replace(/\/+$/, ''),
      scopes: scopeList(env.ATLASSIAN_SCOPES),
    },
    tls: env.TLS_CERT && env.TLS_KEY ? { certFile: path.resolve(cwd, env.TLS_CERT), keyFile: path.resolve(cwd, env.TLS_KEY) } : null,
    webhooks: {
      maxBytes: env.WEBHOOK_MAX_BYTES,
      secretOverlapSeconds: env.WEBHOOK_SECRET_OVERLAP_SECONDS,
      publicBaseUrl: env.PUBLIC_BASE_URL ? env.PUBLIC_BASE_URL.replace(/\/+$/, '') : null,
    },
    sessions: { idleMinutes: env.SESSION_IDLE_MINUTES, maxHours: env.SESSION_MAX_HOURS },
    admin: env.ADMIN_USERNAME && env.ADMIN_PASSWORD ? { username: env.ADMIN_USERNAME, password: env.ADMIN_PASSWORD, org: env.ADMIN_ORG } : null,
    webUiDir: env.WEB_UI_DIR ? path.resolve(cwd, env.WEB_UI_DIR) : fileURLToPath(new URL('../../web/dist', import.meta.url)),
  };
}
