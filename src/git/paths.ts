/**
 * Paths inside the work tree. A path from a caller (a manifest path from a finding) is refused when
 * it is absolute, has a '..' or '.git' component (at any depth, in any case), or passes through a
 * symlink: a repository can hold symlinks pointing anywhere, and writing into .git would let a file
 * become git configuration. The text rule is src/contracts/git-names.ts, the one the request schemas
 * and the pull-request engine use.
 */
import { lstat, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { repoPathProblem } from '../contracts/git-names.ts';
import { GIT_PATH_REFUSED, GitError } from './errors.ts';

function refuse(path: string, reason: string): never {
  throw new GitError(GIT_PATH_REFUSED, `path ${JSON.stringify(String(path).slice(0, 200))} refused: ${reason}`);
}

/** Checks the text of a repository-relative path ("a/b/c": refused, not normalised) and returns it. */
export function checkRelativePath(path: string): string {
  const problem = repoPathProblem(path);
  if (problem !== null) refuse(path, problem);
  return path;
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
