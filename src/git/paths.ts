/**
 * Paths inside the work tree. A path from a caller (a manifest path from a finding) is refused when
 * it is absolute, has a '..' or '.git' component, or passes through a symlink: a repository can
 * hold symlinks pointing anywhere, and writing into .git would let a file become git configuration.
 */
import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join, posix, sep } from 'node:path';
import { GIT_PATH_REFUSED, GitError } from './errors.ts';

function refuse(path: string, reason: string): never {
  throw new GitError(GIT_PATH_REFUSED, `path ${JSON.stringify(path.slice(0, 200))} refused: ${reason}`);
}

/** Checks the text of a repository-relative path and returns it normalised ("a/b/c"). */
export function checkRelativePath(path: string): string {
  if (typeof path !== 'string' || path === '') refuse(String(path), 'it is empty');
  if (/[\u0000-\u001f\u007f]/.test(path)) refuse(path, 'it contains control characters');
  if (isAbsolute(path) || path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) refuse(path, 'it is absolute');
  const segments = path.replace(/\\/g, '/').split('/');
  if (segments.includes('..')) refuse(path, "it contains '..'");
  if (segments.some((s) => s.toLowerCase() === '.git')) refuse(path, 'it points into .git');
  const normalised = posix.normalize(segments.filter((s) => s !== '' && s !== '.').join('/'));
  if (normalised === '' || normalised === '.') refuse(path, 'it names the repository root');
  return normalised;
}

/**
 * The absolute path for `path` under `root`, after checking that no existing component is a
 * symlink and that the deepest existing ancestor really is inside the root.
 */
export async function resolveInside(root: string, path: string): Promise<{ relative: string; absolute: string }> {
  const relative = checkRelativePath(path);
  const realRoot = await realpath(root);
  let current = realRoot;
  for (const segment of relative.split('/')) {
    current = join(current, segment);
    let stats: import('node:fs').Stats;
    try {
      stats = await lstat(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
      throw error;
    }
    if (stats.isSymbolicLink()) refuse(path, 'it goes through a symlink');
  }
  const absolute = join(realRoot, relative);
  if (!absolute.startsWith(realRoot + sep)) refuse(path, 'it is outside the repository');
  return { relative, absolute };
}

/** A sparse-checkout (gitignore-style) pattern matching exactly this path from the root. */
export function sparsePattern(relative: string): string {
  const escaped = relative.replace(/[\\*?[\]!#]/g, (c) => `\\${c}`).replace(/ $/, '\\ ');
  return `/${escaped}`;
}
