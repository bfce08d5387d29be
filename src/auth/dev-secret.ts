/**
 * On the embedded default with no JWT_SECRET_KEY, a random HMAC secret is generated once in
 * DATA_DIR (mode 0600) so `npm start` works with zero setup; `integration-service token` signs
 * development tokens with it. In production the secret must come from the environment.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function loadOrCreateJwtSecret(dataDir: string): { secret: string; created: boolean } {
  const file = path.join(dataDir, 'jwt-secret');
  if (fs.existsSync(file)) return { secret: fs.readFileSync(file, 'utf8').trim(), created: false };
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return { secret, created: true };
}
