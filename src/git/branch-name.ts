/**
 * The rules of `git check-ref-format --branch` and ours (src/contracts/git-names.ts: the same function
 * the request schemas refuse with), so a branch name is refused before it reaches git or GitHub (and
 * can never be read as an option or a revision expression).
 */
import { branchNameProblem } from '../contracts/git-names.ts';
import { GIT_BAD_BRANCH, GitError } from './errors.ts';

export function checkBranchName(name: string): void {
  const problem = branchNameProblem(name);
  if (problem === null) return;
  const text = String(name);
  const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
  throw new GitError(GIT_BAD_BRANCH, `branch name ${shown} is not allowed: ${problem}`);
}
