/**
 * `tls-cert [--out-dir DIR] [--days N]`: a self-signed certificate and key for localhost (and
 * 127.0.0.1, ::1), for serving HTTPS locally (TLS_CERT/TLS_KEY, seed 003's https://localhost URLs).
 * Made with the openssl binary (present on the machines and in the Docker image); the key is written
 * with mode 0600. Not for production: use your own certificate or a TLS-terminating proxy there.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIo } from '../cli-io.ts';

export const summary = 'make a self-signed localhost certificate and key for TLS_CERT/TLS_KEY (--out-dir, --days)';

export async function run(args: string[], io: CliIo): Promise<number> {
  let values: { 'out-dir': string; days: string; force?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { 'out-dir': { type: 'string', default: 'tls' }, days: { type: 'string', default: '365' }, force: { type: 'boolean' } } }));
  } catch (error) {
    io.stderr(`integration-service tls-cert: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    io.stderr('integration-service tls-cert: --days must be an integer from 1 to 3650\n');
    return 2;
  }
  const dir = path.resolve(io.cwd, values['out-dir']);
  const certFile = path.join(dir, 'localhost.crt');
  const keyFile = path.join(dir, 'localhost.key');
  if (!values.force && (fs.existsSync(certFile) || fs.existsSync(keyFile))) {
    io.stderr(`integration-service tls-cert: ${certFile} or ${keyFile} exists; pass --force to replace them\n`);
    return 1;
  }
  fs.mkdirSync(dir, { recursive: true });
  const result = spawnSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256',
      '-days', String(days),
      '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      '-addext', 'basicConstraints=critical,CA:FALSE',
      '-addext', 'extendedKeyUsage=serverAuth',
      '-keyout', keyFile,
      '-out', certFile,
    ],
    { encoding: 'utf8' },
  );
  if (result.error || result.status !== 0) {
    const reason = result.error ? result.error.message : (result.stderr || '').trim().split('\n').at(-1);
    io.stderr(`integration-service tls-cert: openssl failed (${reason}); openssl must be installed\n`);
    return 1;
  }
  fs.chmodSync(keyFile, 0o600);
  io.stdout(`${JSON.stringify({ cert: certFile, key: keyFile, days, env: { TLS_CERT: certFile, TLS_KEY: keyFile } })}\n`);
  return 0;
}
