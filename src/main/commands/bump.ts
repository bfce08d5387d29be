/**
 * `bump <file> <package> <version>`: rewrites one manifest so the package requires the fixed version,
 * changing only the version bytes. Prints the result (or writes it with --write); on refusal exits
 * non-zero with `<code>: <reason>` on stderr and leaves the file untouched.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { extractGradleProperties } from '../../updaters/gradle/properties.ts';
import { updaterFor } from '../../updaters/registry.ts';
import { type Ecosystem, ecosystems } from '../../updaters/types.ts';
import type { CliIo } from '../cli-io.ts';

export const summary = 'rewrite one manifest so <package> requires <version> (only the version bytes change)';

const USAGE = 'usage: bump <file> <package> <version> [--write] [--ecosystem npm|pip|gomod|maven|gradle|bundler]';

export async function run(args: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    io.stderr(`bump: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const [file, packageName, fixedVersion] = positionals;
  if (!file || !packageName || !fixedVersion || positionals.length > 3) {
    io.stderr(`bump: expected <file> <package> <version>\n${USAGE}\n`);
    return 2;
  }
  const ecosystem = values.ecosystem as Ecosystem | undefined;
  if (ecosystem !== undefined && !ecosystems.includes(ecosystem)) {
    io.stderr(`bump: unknown ecosystem '${ecosystem}' (one of ${ecosystems.join(', ')})\n`);
    return 2;
  }
  const path = resolve(io.cwd, file);
  const shown = relative(io.cwd, path).split('\\').join('/') || basename(path);
  const updater = updaterFor(shown, ecosystem);
  if (!updater) {
    io.stderr(`bump: unsupported-manifest: cannot tell the ecosystem of ${file}; pass --ecosystem\n`);
    return 2;
  }
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    io.stderr(`bump: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return 1;
  }
  const result = updater.update(content, shown, { packageName, fixedVersion });
  if (!result.ok) {
    const where = result.code === 'version-defined-elsewhere' && result.property ? findGradleProperty(path, result.property, io.cwd) : null;
    const reason = where ? `version is \${${result.property}}: defined in ${where}` : result.reason;
    io.stderr(`bump: ${result.code}: ${reason}\n`);
    return 1;
  }
  for (const note of result.notes) io.stderr(`note: ${note.code}: ${note.message}\n`);
  if (values.write) {
    if (result.content !== content) writeFileSync(path, result.content, 'utf8');
  } else {
    io.stdout(result.content);
  }
  return 0;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      write: { type: 'boolean', default: false },
      ecosystem: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

/** Gradle reads `gradle.properties` of the project and its parents; look there (not above the working directory). */
function findGradleProperty(manifest: string, property: string, cwd: string): string | null {
  for (let dir = dirname(manifest); ; dir = dirname(dir)) {
    const candidate = resolve(dir, 'gradle.properties');
    if (existsSync(candidate)) {
      const defined = extractGradleProperties(readFileSync(candidate, 'utf8')).some((d) => d.name === property);
      if (defined) return relative(cwd, candidate) || 'gradle.properties';
    }
    if (dir === resolve(cwd) || dirname(dir) === dir) return null;
  }
}
