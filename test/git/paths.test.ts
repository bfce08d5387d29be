/**
 * One rule for repository paths (src/contracts/git-names.ts), used by the git layer and the
 * pull-request engine alike: `.git` is refused at any depth and in any spelling a file system
 * treats as `.git` (issue 9 item 8: `a/.GIT/config` passed the early check).
 */
import { describe, expect, it } from 'vitest';
import { GIT_PATH_REFUSED, type GitError } from '../../src/git/index.ts';
import { checkRelativePath } from '../../src/git/paths.ts';
import { checkManifestPath, ManifestPathError } from '../../src/services/pull-requests/index.ts';

const intoGit = ['.git/config', 'a/.GIT/config', 'a/b/.git/hooks/pre-commit', '.Git', 'x/.git./config', 'x/.git /config', 'GIT~1/config'];
const outside = ['../x', 'a/../../b', '/etc/passwd', 'C:/x', 'a\\b', 'a//b', './a', 'a/./b', 'a/'];
const hidden = ['a\u0000b', 'a\nb', 'a\u0085b', 'a\u202eb.json', 'pack\u200bage.json', 'lone\ud800'];
const fine = ['package.json', 'packages/web/package.json', '.github/dependabot.yml', 'a..b/requirements.txt', '.gitignore', 'x/.gitmodules', 'git/config', 'ünïcode/package.json'];

function gitRefusal(path: string): GitError | undefined {
  try {
    checkRelativePath(path);
    return undefined;
  } catch (error) {
    return error as GitError;
  }
}

describe('repository paths: the git layer and the engine refuse the same', () => {
  it.each([...intoGit, ...outside, ...hidden])('refuses %j in both', (path) => {
    expect(gitRefusal(path)?.code).toBe(GIT_PATH_REFUSED);
    expect(() => checkManifestPath(path)).toThrow(ManifestPathError);
  });

  it.each(fine)('accepts %j in both, unchanged', (path) => {
    expect(checkRelativePath(path)).toBe(path);
    expect(checkManifestPath(path)).toBe(path);
  });

  it('says a nested .git is refused because it points into .git', () => {
    expect(() => checkManifestPath('a/.GIT/config')).toThrow(/\.git/);
  });
});
