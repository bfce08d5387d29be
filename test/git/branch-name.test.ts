import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { checkBranchName, GIT_BAD_BRANCH, GitError } from '../../src/git/index.ts';

const good = ['main', 'security/npm/lodash-4.17.21', 'feature/x_y', 'a.b', 'release-1.2', 'deps/@types/node-24', 'ünïcode', 'a@b', 'x/y/z'];
const bad = [
  '',
  '-x',
  '--upload-pack=touch /tmp/pwned',
  'a..b',
  'a@{1}',
  '@',
  'has space',
  'tab\there',
  'new\nline',
  'ctl\u0001',
  'del\u007f',
  'tilde~1',
  'caret^',
  'colon:x',
  'question?',
  'star*',
  'bracket[x',
  'back\\slash',
  '/leading',
  'trailing/',
  'double//slash',
  'ends.',
  'x.lock',
  'dir.lock/x',
  '.hidden',
  'a/.hidden',
  'HEAD',
  'x'.repeat(256),
];
/** Refused by us although git accepts them (issue 9 item 8): ambiguous or invisible names. */
const stricterThanGit = [
  'refs/heads/x',
  'REFS/heads/x',
  'refs/tags/v1',
  'a\u202eb',
  '\u200bmain',
  'main\ufeff',
  'x\u2066y\u2069',
  'rtl\u200f',
  'c1\u0085',
  'lone\ud800',
];

function refusal(name: string): GitError | undefined {
  try {
    checkBranchName(name);
    return undefined;
  } catch (error) {
    return error as GitError;
  }
}

describe('checkBranchName', () => {
  it.each(good)('accepts %j', (name) => {
    expect(refusal(name)).toBeUndefined();
  });

  it.each(bad)('refuses %j with BRANCH_NAME_INVALID', (name) => {
    const error = refusal(name);
    expect(error).toBeInstanceOf(GitError);
    expect(error?.code).toBe(GIT_BAD_BRANCH);
  });

  it.each(stricterThanGit)('refuses %j (git would accept it; it is ambiguous or hides characters)', (name) => {
    const error = refusal(name);
    expect(error).toBeInstanceOf(GitError);
    expect(error?.code).toBe(GIT_BAD_BRANCH);
  });

  it('says why a refs/ name is refused', () => {
    expect(refusal('refs/heads/x')?.message).toMatch(/short branch name/);
  });

  it('agrees with `git check-ref-format --branch` (which reads HEAD and @ as the current branch; we refuse both)', () => {
    for (const name of [...good, ...bad]) {
      if (name === 'HEAD' || name === '@' || name === '' || name.includes('\u0000')) continue;
      let gitAccepts = true;
      try {
        execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'ignore', cwd: tmpdir(), env: { PATH: '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent' } });
      } catch {
        gitAccepts = false;
      }
      // Long names: git has no length rule, we do (file systems do).
      if (name.length > 255) continue;
      expect({ name, accepted: refusal(name) === undefined }).toEqual({ name, accepted: gitAccepts });
    }
  });
});
