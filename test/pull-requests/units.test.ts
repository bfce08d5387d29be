/**
 * The engine's pure parts: manifest path refusals, deterministic branch names, unified diffs that
 * `git apply` accepts, the PR body's links and its 65,536-character cap, and the edit plan's
 * not-fixable reasons (transitive only, hashes required, git source).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkManifestPath, defaultBranchName, groupBranchName, unifiedDiff } from '../../src/services/pull-requests/index.ts';
import { planEdits } from '../../src/services/pull-requests/plan-edits.ts';
import { advisoryLink, fitBody, MAX_BODY, withTicketFooter } from '../../src/services/pull-requests/pr-content.ts';

const run = promisify(execFile);

describe('manifest paths', () => {
  it.each(['../package.json', 'a/../../b/package.json', '/etc/passwd', 'C:/x/package.json', 'a\\package.json', 'a//package.json', './package.json', '.git/config', 'a/\u0000/b'])('refuses %j', (path) => {
    expect(() => checkManifestPath(path)).toThrow(/refused/);
  });
  it.each(['package.json', 'packages/frontend/package.json', 'gradle/libs.versions.toml', 'a..b/requirements.txt'])('accepts %j', (path) => {
    expect(checkManifestPath(path)).toBe(path);
  });
});

describe('branch names', () => {
  it('follow security/<ecosystem>/<package>-<version>, ref-safe and stable across aliases', () => {
    expect(defaultBranchName('npm', 'lodash', '4.17.21')).toBe('security/npm/lodash-4.17.21');
    expect(defaultBranchName('pypi', 'requests', '2.31.0')).toBe(defaultBranchName('pip', 'requests', '2.31.0'));
    expect(defaultBranchName('maven', 'com.fasterxml.jackson.core:jackson-databind', '2.12.7.1')).toBe('security/maven/com.fasterxml.jackson.core-jackson-databind-2.12.7.1');
    expect(defaultBranchName('npm', '@acme/ui', '1.0.0')).toBe('security/npm/acme/ui-1.0.0');
  });
  it('group branches hash the sorted set', () => {
    const a = { ecosystem: 'npm', packageName: 'lodash', fixedVersion: '4.17.21' };
    const b = { ecosystem: 'npm', packageName: 'minimist', fixedVersion: '1.2.6' };
    expect(groupBranchName([a, b])).toBe(groupBranchName([b, a]));
    expect(groupBranchName([a, b])).toMatch(/^security\/batch-[0-9a-f]{10}$/);
    expect(groupBranchName([a])).not.toBe(groupBranchName([a, b]));
  });
});

describe('unified diff', () => {
  const cases: [string, string, string][] = [
    ['one line', 'a\nb\nc\nd\ne\nf\ng\nh\n', 'a\nb\nc\nd\nE\nf\ng\nh\n'],
    ['two hunks', `${Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n')}\n`, `${Array.from({ length: 40 }, (_, i) => (i === 3 || i === 30 ? `LINE ${i}` : `line ${i}`)).join('\n')}\n`],
    ['no final newline', 'x\ny', 'x\nz'],
    ['crlf', 'a\r\nb\r\nc\r\n', 'a\r\nB\r\nc\r\n'],
    ['insert and delete', 'a\nb\nc\n', 'a\nc\nd\n'],
  ];
  it.each(cases)('%s: git apply turns before into after', async (_name, before, after) => {
    const dir = await mkdtemp(`${tmpdir()}/diff-`);
    try {
      await writeFile(`${dir}/file.txt`, before);
      await writeFile(`${dir}/change.patch`, unifiedDiff('file.txt', before, after));
      await run('git', ['apply', '--unidiff-zero', 'change.patch'], { cwd: dir });
      expect(await readFile(`${dir}/file.txt`, 'utf8')).toBe(after);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('is empty for equal contents', () => {
    expect(unifiedDiff('a', 'x\n', 'x\n')).toBe('');
  });
});

describe('PR body', () => {
  it('links CVEs to NVD and GHSAs to GitHub', () => {
    expect(advisoryLink('CVE-2021-23337')).toBe('[CVE-2021-23337](https://nvd.nist.gov/vuln/detail/CVE-2021-23337)');
    expect(advisoryLink('GHSA-35jh-r3h4-6jhm')).toBe('[GHSA-35jh-r3h4-6jhm](https://github.com/advisories/GHSA-35jh-r3h4-6jhm)');
    expect(advisoryLink('OSV-1', 'javascript:alert(1)')).toBe('OSV-1');
  });
  it('is cut to 65,536 characters with a marker, keeping the ticket footer', () => {
    const body = withTicketFooter('x'.repeat(70_000), [{ key: 'SEC-9', url: 'https://jira/browse/SEC-9' }]);
    expect(body.length).toBeLessThanOrEqual(MAX_BODY);
    expect(body).toContain('truncated');
    expect(body.endsWith('[SEC-9](https://jira/browse/SEC-9).')).toBe(true);
    expect(fitBody('short')).toBe('short');
  });
});

describe('edit plan', () => {
  const plan = (path: string, content: string, packageName: string, ecosystem: string, fixedVersion: string, extra: string[] = []) =>
    planEdits({ items: [{ packageName, ecosystem, fixedVersion, advisories: [] }], treePaths: new Set([path, ...extra]), contents: new Map([[path, content]]) }).items[0]!;

  it('transitive only: not declared, and says the lockfile holds it', () => {
    const edit = plan('package.json', '{"dependencies":{"express":"4.17.1"}}\n', 'qs', 'npm', '6.7.3', ['package-lock.json']);
    expect(edit).toMatchObject({ status: 'not_fixable', reasonCode: 'not-declared' });
    expect(edit.reason).toMatch(/transitive dependency pinned in package-lock.json/);
  });
  it('hash-pinned requirements are refused with hashes-required', () => {
    const edit = plan('requirements.txt', 'requests==2.25.1 \\\n    --hash=sha256:abc\n', 'requests', 'pypi', '2.31.0');
    expect(edit).toMatchObject({ status: 'not_fixable', reasonCode: 'hashes-required' });
  });
  it('a git source is refused with git-source', () => {
    const edit = plan('package.json', '{"dependencies":{"lodash":"git+https://github.com/lodash/lodash.git"}}\n', 'lodash', 'npm', '4.17.21');
    expect(edit).toMatchObject({ status: 'not_fixable', reasonCode: 'git-source' });
  });
  it('a Gradle version held in gradle.properties is changed there', () => {
    const result = planEdits({
      items: [{ packageName: 'com.google.guava:guava', ecosystem: 'maven', fixedVersion: '32.0.0-jre', advisories: [] }],
      treePaths: new Set(['build.gradle', 'gradle.properties']),
      contents: new Map([
        // a Gradle property reference, not a template
        ['build.gradle', 'dependencies {\n    implementation "com.google.guava:guava:${guavaVersion}"\n}\n'],
        ['gradle.properties', 'org.gradle.parallel=true\nguavaVersion=29.0-jre\n'],
      ]),
    });
    expect(result.items[0]!.status).toBe('changed');
    expect([...result.changed]).toEqual([['gradle.properties', 'org.gradle.parallel=true\nguavaVersion=32.0.0-jre\n']]);
  });
});
