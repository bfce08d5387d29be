/**
 * The rules of `git check-ref-format --branch`, in TypeScript, so a branch name is refused before it
 * reaches git or GitHub (and can never be read as an option or a revision expression).
 */
import { GIT_BAD_BRANCH, GitError } from './errors.ts';

// Control characters, space and the characters git reserves for revision syntax and globs.
const FORBIDDEN_CHARS = /[\u0000-\u0020\u007f~^:?*[\\]/;
const MAX_LENGTH = 255;

function refuse(name: string, reason: string): never {
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  throw new GitError(GIT_BAD_BRANCH, `branch name ${shown} is not allowed: ${reason}`);
}

export function checkBranchName(name: string): void {
  if (typeof name !== 'string' || name === '') refuse(String(name), 'it is empty');
  if (Buffer.byteLength(name) > MAX_LENGTH) refuse(name, `it is longer than ${MAX_LENGTH} bytes`);
  if (name.startsWith('-')) refuse(name, "it starts with '-'");
  if (name === '@') refuse(name, "it is '@'");
  if (name === 'HEAD') refuse(name, "'HEAD' names the current commit, not a branch");
  if (FORBIDDEN_CHARS.test(name)) refuse(name, 'it contains a space, a control character or one of ~ ^ : ? * [ \\');
  if (name.includes('..')) refuse(name, "it contains '..'");
  if (name.includes('@{')) refuse(name, "it contains '@{'");
  if (name.startsWith('/') || name.endsWith('/')) refuse(name, "it starts or ends with '/'");
  if (name.includes('//')) refuse(name, "it contains '//'");
  if (name.endsWith('.')) refuse(name, "it ends with '.'");
  for (const component of name.split('/')) {
    if (component.startsWith('.')) refuse(name, "a path component starts with '.'");
    if (component.endsWith('.lock')) refuse(name, "a path component ends with '.lock'");
  }
}
