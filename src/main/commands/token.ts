/**
 * `token`: sign a development JWT with the configured HS* secret (or the one generated in DATA_DIR),
 * so the API can be tried without an external identity provider.
 */
import { parseArgs } from 'node:util';
import { loadOrCreateJwtSecret } from '../../auth/dev-secret.ts';
import { signHmacToken } from '../../auth/sign.ts';
import type { CliIo } from '../cli-io.ts';
import { loadConfigOrReport } from '../load-config.ts';

export const summary = 'sign a development JWT (--sub, --org, --role, --ttl seconds)';

export async function run(args: string[], io: CliIo): Promise<number> {
  const config = loadConfigOrReport(io);
  if (!config) return 2;
  if (!config.jwt.algorithm.startsWith('HS')) {
    io.stderr(`integration-service: token signs HS* tokens only; ${config.jwt.algorithm} tokens come from your identity provider\n`);
    return 2;
  }
  const { values } = parseArgs({
    args,
    options: {
      sub: { type: 'string', default: 'dev-user' },
      org: { type: 'string', default: 'demo-org' },
      role: { type: 'string', multiple: true, default: ['admin'] },
      ttl: { type: 'string', default: '3600' },
    },
  });
  const secret = config.jwt.secret ?? loadOrCreateJwtSecret(config.dataDir).secret;
  const token = await signHmacToken(secret, config.jwt.algorithm, {
    subject: values.sub,
    org: values.org,
    roles: values.role,
    expiresInSeconds: Number(values.ttl),
    ...(config.jwt.issuer ? { issuer: config.jwt.issuer } : {}),
    ...(config.jwt.audience ? { audience: config.jwt.audience } : {}),
  });
  io.stdout(`${token}\n`);
  return 0;
}
