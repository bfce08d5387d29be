/**
 * `summary [--out FILE] [--url URL] [--org ORG] [--ca FILE] [--insecure]`: seed 003's integration
 * summary (per provider: webhook URL, secret, last delivery; connection status; mappings) written to
 * `tmp/integration-summary.json`. It asks the running service's API (`GET /api/v1/integrations/summary`)
 * rather than opening the database, which the embedded database allows to one process only. The token
 * is minted with the configured HS* secret (as `token` does) for an admin of the organization, so the
 * file holds the secrets; it is written with mode 0600.
 *
 * The URL defaults to the service this configuration runs: https://localhost:PORT when TLS_CERT is set
 * (that certificate is then trusted, so a self-signed one from `tls-cert` works), else http://localhost:PORT.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, fetch } from 'undici';
import { loadOrCreateJwtSecret } from '../../auth/dev-secret.ts';
import { signHmacToken } from '../../auth/sign.ts';
import type { CliIo } from '../cli-io.ts';
import { loadConfigOrReport } from '../load-config.ts';

export const summary = 'write the integration summary (webhook URLs and secrets, connections, mappings) from the running service (--out, --url)';

export async function run(args: string[], io: CliIo): Promise<number> {
  const config = loadConfigOrReport(io);
  if (!config) return 2;
  let values: { out: string; url?: string; org: string; ca?: string; insecure?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        out: { type: 'string', default: 'tmp/integration-summary.json' },
        url: { type: 'string' },
        org: { type: 'string', default: 'demo-org' },
        ca: { type: 'string' },
        insecure: { type: 'boolean' },
      },
    }));
  } catch (error) {
    io.stderr(`integration-service summary: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (!config.jwt.algorithm.startsWith('HS')) {
    io.stderr(`integration-service summary: the token is signed with the HS* secret; ${config.jwt.algorithm} tokens come from your identity provider\n`);
    return 2;
  }
  const base = (values.url ?? `${config.tls ? 'https' : 'http'}://localhost:${config.port}`).replace(/\/+$/, '');
  const secret = config.jwt.secret ?? loadOrCreateJwtSecret(config.dataDir).secret;
  const token = await signHmacToken(secret, config.jwt.algorithm, {
    subject: 'integration-service-cli',
    org: values.org,
    roles: ['admin'],
    expiresInSeconds: 300,
    ...(config.jwt.issuer ? { issuer: config.jwt.issuer } : {}),
    ...(config.jwt.audience ? { audience: config.jwt.audience } : {}),
  });
  const caFile = values.ca ? path.resolve(io.cwd, values.ca) : config.tls?.certFile;
  const dispatcher = base.startsWith('https:')
    ? new Agent({ connect: values.insecure ? { rejectUnauthorized: false } : caFile ? { ca: fs.readFileSync(caFile) } : {} })
    : undefined;
  let body: unknown;
  try {
    const response = await fetch(`${base}/api/v1/integrations/summary`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      ...(dispatcher ? { dispatcher } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok) {
      io.stderr(`integration-service summary: ${base} answered ${response.status}: ${text.slice(0, 500)}\n`);
      return 1;
    }
    body = JSON.parse(text);
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    io.stderr(`integration-service summary: could not reach the service at ${base} (${error instanceof Error ? error.message : String(error)}${cause}); is it running? (--url)\n`);
    return 1;
  } finally {
    await dispatcher?.close();
  }
  const out = path.resolve(io.cwd, values.out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(out, 0o600);
  io.stdout(`${out}\n`);
  return 0;
}
