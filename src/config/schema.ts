/**
 * The one schema for the environment. Parsed once at start; every problem is reported at once with
 * the variable's name; the result is passed to every module (nothing else reads process.env).
 * Seed names are accepted as aliases: JWT_SECRET for JWT_SECRET_KEY, APP_PORT for PORT.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
// crypto's pure key-list parser only (an allowed exception to the layering, see eslint.config.js).
import { CryptoError } from '../crypto/errors.ts';
import { parseEncryptionKeys } from '../crypto/parse-keys.ts';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const commaList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

/** proxy-addr's names for address ranges, accepted by Fastify's `trustProxy`. */
const proxyRangeNames = ['loopback', 'linklocal', 'uniquelocal'];

function isAddressOrRange(entry: string): boolean {
  if (proxyRangeNames.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  // A prefix length, or (IPv4) a dotted netmask as proxy-addr allows.
  if (/^\d{1,3}$/.test(prefix)) return Number(prefix) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(prefix) === 4;
}

/**
 * Which proxies' X-Forwarded-* headers to believe (Fastify's `trustProxy`): false (none), true
 * (every hop: only when the service is reachable through a proxy that overwrites the headers), or
 * a comma list of addresses, CIDR ranges and proxy-addr's names (loopback, linklocal,
 * uniquelocal). A hop count is refused: Fastify 5.12 trusts nobody for one (a count cannot tell a
 * proxy from a client that forged the header), so accepting it would silently do nothing.
 */
const trustProxy = z.string().transform((value, ctx): boolean | string[] => {
  const text = value.trim().toLowerCase();
  if (text === 'false' || text === '0') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: 'a hop count is not supported; list the proxies\' addresses or CIDR ranges (or true)' });
    return z.NEVER;
  }
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const bad = entries.filter((entry) => !isAddressOrRange(entry));
  if (entries.length === 0 || bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `must be false, true, or a comma list of addresses/CIDR ranges${bad.length > 0 ? ` (not an address: ${bad.join(', ')})` : ''}`,
    });
    return z.NEVER;
  }
  return entries;
});

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** A TCP port, said plainly when it is not one (`PORT=abc` must not read as "is required"); 0 asks for any free port. */
const tcpPort = z
  .string()
  .trim()
  .regex(/^\d{1,5}$/, 'must be an integer between 0 and 65535')
  .transform(Number)
  .refine((value) => value <= 65535, 'must be an integer between 0 and 65535');

export const jwtAlgorithms = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;

const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL');

export const environmentSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: tcpPort.optional(),
    APP_PORT: tcpPort.optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: postgresUrl.optional(),
    REDIS_URL: z
      .string()
      .refine((value) => /^rediss?:\/\//.test(value), 'must be a redis:// or rediss:// URL')
      .optional(),
    MIGRATE_ON_START: booleanFlag.default(true),
    RUN_WORKER: booleanFlag.default(true),
    WORKER_CONCURRENCY: positiveInt(4),
    JOB_TIMEOUT_SECONDS: positiveInt(300),
    JOB_MAX_ATTEMPTS: positiveInt(8),
    JOB_RETRY_DELAY_SECONDS: positiveInt(5),
    JOB_RETRY_DELAY_MAX_SECONDS: positiveInt(900),
    /** How often a process says it still works its in-process batch runs; 3 missed beats fail them. */
    RUN_HEARTBEAT_SECONDS: positiveInt(10),
    /** Batch runs with request credentials (held in memory, never stored) one process works at once. */
    RUNS_IN_PROCESS_MAX: positiveInt(4),
    /** How often each process queues the SLA breach scan (one sla_scan job per organization); 0 = never. */
    SLA_SCAN_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
    /** How often each process queues the periodic ticket sync (one sync job per ticketing connection); 0 = never. */
    TICKET_SYNC_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
    JWT_SECRET_KEY: z.string().min(32, 'must be at least 32 characters (256 bits) for HMAC').optional(),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters (256 bits) for HMAC').optional(),
    JWT_ALGORITHM: z.enum(jwtAlgorithms).default('HS256'),
    JWT_PUBLIC_KEY: z.string().min(1).optional(),
    JWKS_URL: z.url().optional(),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
    JWT_MAX_TTL_SECONDS: z.coerce.number().int().positive().optional(),
    JWT_REQUIRE_ORG_CLAIM: booleanFlag.default(false),
    CORS_ORIGINS: z.string().default('*'),
    TRUST_PROXY: trustProxy.default(false),
    ENCRYPTION_KEYS: z.string().min(1).optional(),
    NTP_SERVER: z.string().min(1).default('pool.ntp.org'),
    NTP_TIMEOUT_MS: positiveInt(1500),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_TIMEZONE: z
      .string()
      .default('Asia/Kolkata')
      .refine((zone) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as Asia/Kolkata'),
    OUTBOUND_ALLOWED_HOSTS: commaList.default([]),
    OUTBOUND_TIMEOUT_MS: positiveInt(30_000),
    BODY_LIMIT_BYTES: positiveInt(1_048_576),
    IMPORT_MAX_BYTES: positiveInt(1_073_741_824),
    JIRA_SEARCH_CONSISTENCY_SECONDS: z.coerce.number().min(0).max(3600).default(30),
    JIRA_CLIENT_ID: z.string().min(1).optional(),
    JIRA_CLIENT_SECRET: z.string().min(1).optional(),
    JIRA_REDIRECT_URI: z.url().optional(),
    ATLASSIAN_CLIENT_ID: z.string().min(1).optional(),
    ATLASSIAN_CLIENT_SECRET: z.string().min(1).optional(),
    ATLASSIAN_REDIRECT_URI: z.url().optional(),
    /** auth.atlassian.com (/authorize, /oauth/token); a simulator's URL in development. */
    ATLASSIAN_AUTH_URL: z.url().default('https://auth.atlassian.com'),
    /** api.atlassian.com (accessible-resources, /me, /ex/jira/{cloudId}, /ex/confluence/{cloudId}). */
    ATLASSIAN_API_URL: z.url().default('https://api.atlassian.com'),
    /** Scopes asked for at consent, space- or comma-separated; offline_access is always added. */
    ATLASSIAN_SCOPES: z.string().min(1).optional(),
    /** PEM files: when both are set the service serves HTTPS itself (`integration-service tls-cert` makes a local pair). */
    TLS_CERT: z.string().min(1).optional(),
    TLS_KEY: z.string().min(1).optional(),
    /** Largest webhook body accepted (413 above). */
    WEBHOOK_MAX_BYTES: positiveInt(1_048_576),
    /** How long a rotated webhook secret keeps verifying (default 24 h). */
    WEBHOOK_SECRET_OVERLAP_SECONDS: z.coerce.number().int().min(0).default(86_400),
    /** The service's public URL, for the webhook URLs shown to users (default: the request's own scheme and host). */
    PUBLIC_BASE_URL: z.url().optional(),
    /** Web UI sign-in: a session ends after this long without a request (default 12 h)… */
    SESSION_IDLE_MINUTES: positiveInt(720),
    /** …and this long after sign-in whatever happens (default 7 days). */
    SESSION_MAX_HOURS: positiveInt(168),
    /** The first admin, created at start when no user has this name (the password is never logged). */
    ADMIN_USERNAME: z.string().trim().regex(/^[A-Za-z0-9._@-]{1,100}$/, 'letters, digits and . _ @ - only (at most 100)').optional(),
    ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').max(1024).optional(),
    /** The first admin's organization. */
    ADMIN_ORG: z.string().trim().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and - (an organization slug)').default('demo-org'),
    /** The built single-page app served at / (default web/dist of this checkout). */
    WEB_UI_DIR: z.string().min(1).optional(),
  });

/**
 * Rules that span several variables. They read the raw values (with the schema's defaults) so they
 * are reported together with per-variable problems, not only once those are fixed.
 */
export function crossFieldProblems(raw: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const algorithm = raw.JWT_ALGORITHM ?? 'HS256';
  const symmetric = algorithm.startsWith('HS');
  const production = raw.NODE_ENV === 'production';
  if (raw.JWT_SECRET_KEY && raw.JWT_SECRET && raw.JWT_SECRET_KEY !== raw.JWT_SECRET) {
    problems.push('JWT_SECRET: differs from JWT_SECRET_KEY; set only one');
  }
  if (!symmetric && !raw.JWT_PUBLIC_KEY && !raw.JWKS_URL) {
    problems.push(`JWT_ALGORITHM: ${algorithm} needs JWT_PUBLIC_KEY (PEM) or JWKS_URL`);
  }
  if (symmetric && (raw.JWT_PUBLIC_KEY || raw.JWKS_URL)) {
    problems.push(`JWT_ALGORITHM: ${algorithm} is symmetric; set JWT_ALGORITHM to the public-key algorithm your issuer uses`);
  }
  if (raw.ENCRYPTION_KEYS) {
    try {
      parseEncryptionKeys(raw.ENCRYPTION_KEYS);
    } catch (error) {
      // The parser names each bad entry by position, never the key material.
      const details = error instanceof CryptoError && error.problems.length > 0 ? error.problems.join('; ') : 'is not a valid key list';
      problems.push(`ENCRYPTION_KEYS: ${details}`);
    }
  }
  if (production && !raw.ENCRYPTION_KEYS) {
    problems.push('ENCRYPTION_KEYS: is required when NODE_ENV=production (generate one with `integration-service keygen`)');
  }
  if (Boolean(raw.TLS_CERT) !== Boolean(raw.TLS_KEY)) {
    problems.push(`${raw.TLS_CERT ? 'TLS_KEY' : 'TLS_CERT'}: TLS_CERT and TLS_KEY are set together (PEM file paths) or not at all`);
  }
  if (Boolean(raw.ADMIN_USERNAME) !== Boolean(raw.ADMIN_PASSWORD)) {
    problems.push(`${raw.ADMIN_USERNAME ? 'ADMIN_PASSWORD' : 'ADMIN_USERNAME'}: ADMIN_USERNAME and ADMIN_PASSWORD are set together or not at all`);
  }
  if (production && symmetric && !raw.JWT_SECRET_KEY && !raw.JWT_SECRET) {
    problems.push('JWT_SECRET_KEY: is required when NODE_ENV=production');
  }
  return problems;
}

export type Environment = z.infer<typeof environmentSchema>;
