/**
 * The one rule for a branch name and the one rule for a repository path, as pure functions that say
 * what is wrong (or null). The request schemas refuse with them up front, and the git layer and the
 * pull-request engine check again with the same functions right before use.
 */
import { textProblem } from './characters.ts';

export const MAX_BRANCH_NAME_BYTES = 255;
export const MAX_REPO_PATH_LENGTH = 1000;
/** UTF-8 byte counts with what Node and the browser both have (the web UI type-checks these files). */
const utf8 = new TextEncoder();

// Space and the characters git reserves for revision syntax and globs (control characters are
// refused by textProblem).
const BRANCH_FORBIDDEN = /[ ~^:?*[\\]/;

/**
 * The rules of `git check-ref-format --branch`, plus ours: a short branch name (not `refs/…`, which
 * git would nest as refs/heads/refs/…), never read as an option, nothing invisible.
 */
export function branchNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name === '') return 'it is empty';
  if (utf8.encode(name).length > MAX_BRANCH_NAME_BYTES) return `it is longer than ${MAX_BRANCH_NAME_BYTES} bytes`;
  if (name.startsWith('-')) return "it starts with '-' (it would be read as an option)";
  const characters = textProblem(name, 'identifier');
  if (characters) return `it ${characters.replace(/^must not contain/, 'contains')}`;
  if (name === '@') return "it is '@'";
  if (name === 'HEAD') return "'HEAD' names the current commit, not a branch";
  if (/^refs\//i.test(name)) return "give the short branch name ('x', not 'refs/heads/x'): git would create refs/heads/refs/…";
  if (BRANCH_FORBIDDEN.test(name)) return 'it contains a space or one of ~ ^ : ? * [ \\';
  if (name.includes('..')) return "it contains '..'";
  if (name.includes('@{')) return "it contains '@{'";
  if (name.startsWith('/') || name.endsWith('/')) return "it starts or ends with '/'";
  if (name.includes('//')) return "it contains '//'";
  if (name.endsWith('.')) return "it ends with '.'";
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return "a path component starts with '.'";
    if (component.endsWith('.lock')) return "a path component ends with '.lock'";
  }
  return null;
}

/**
 * True for a path segment that is, or that some file system treats as, `.git`: any case (macOS,
 * Windows), with trailing dots or spaces (Windows), or the 8.3 short name `git~1`.
 */
export function isGitDirSegment(segment: string): boolean {
  const folded = segment.toLowerCase().replace(/[. ]+$/, '');
  return folded === '.git' || folded === 'git~1';
}

/**
 * A repository-relative, `/`-separated path that stays inside the work tree and outside `.git`.
 * Refused rather than normalised: `a/../package.json` is not silently turned into `package.json`,
 * because a caller who sends it is either confused or probing.
 */
export function repoPathProblem(path: string): string | null {
  if (typeof path !== 'string' || path.length === 0) return 'it is empty';
  if (path.length > MAX_REPO_PATH_LENGTH) return `it is longer than ${MAX_REPO_PATH_LENGTH.toLocaleString('en')} characters`;
  const characters = textProblem(path, 'identifier');
  if (characters) return `it ${characters.replace(/^must not contain/, 'contains')}`;
  if (path.includes('\\')) return 'backslashes are not path separators here';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'absolute paths are outside the repository';
  const segments = path.split('/');
  if (segments.includes('..')) return "'..' would leave the repository";
  if (segments.some((segment) => segment === '' || segment === '.')) return "empty or '.' segments are not allowed";
  if (segments.some(isGitDirSegment)) return 'it points into .git, which is not part of the tree';
  return null;
}
