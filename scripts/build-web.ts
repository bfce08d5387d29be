/**
 * Builds the web UI (web/ → web/dist) with Vite. `--if-stale`: only when web/dist/index.html is
 * missing or older than a source file (web/src, web/index.html, web/vite.config.ts, package-lock.json);
 * `npm start` runs it that way (prestart), so a fresh `npm ci && npm start` serves the UI.
 * Without Vite installed (a production install without dev dependencies) a present build is kept
 * and a missing one is reported; the API runs either way.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const web = path.join(root, 'web');
const built = path.join(web, 'dist', 'index.html');

function newest(entry: string): number {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(entry).map((name) => newest(path.join(entry, name))));
}

export function isStale(): boolean {
  const output = fs.statSync(built, { throwIfNoEntry: false });
  if (!output) return true;
  const sources = Math.max(...[path.join(web, 'src'), path.join(web, 'index.html'), path.join(web, 'vite.config.ts'), path.join(root, 'package-lock.json')].map(newest));
  return sources > output.mtimeMs;
}

export async function buildWeb(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: path.join(web, 'vite.config.ts'), logLevel: 'warn' });
}

if (import.meta.main) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && !isStale()) process.exit(0);
  try {
    await import.meta.resolve('vite');
  } catch {
    process.stderr.write(fs.existsSync(built) ? 'web UI: vite is not installed; serving the existing web/dist\n' : 'web UI: not built and vite is not installed (npm ci with dev dependencies builds it); the API still runs\n');
    process.exit(0);
  }
  const started = Date.now();
  process.stderr.write('web UI: building web/dist…\n');
  await buildWeb();
  process.stderr.write(`web UI: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
