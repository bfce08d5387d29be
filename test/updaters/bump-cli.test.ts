/**
 * The `bump` command, in-process (through the CLI dispatcher with a captured CliIo) and as a real child
 * process (`node src/main/cli.ts bump …`) against copies of the fixtures in a temporary directory.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/main/cli.ts';
import { fixturesDir } from './helpers.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const cli = resolve(repo, 'src/main/cli.ts');
// The project pins its Node (type stripping needs 24+); prefer it over whatever runs the tests.
const projectNode = resolve(repo, 'node_modules/.bin/node');
const nodeBinary = existsSync(projectNode) ? projectNode : process.execPath;

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bump-'));
  const copies: Record<string, string> = {
    'npm/bom-crlf-tabs.package.json': 'package.json',
    'pip/requirements.txt': 'requirements.txt',
    'gomod/go.mod': 'go.mod',
    'maven/pom.xml': 'pom.xml',
    'gradle/build.gradle': 'app/build.gradle',
    'gradle/gradle.properties': 'gradle.properties',
    'gradle/libs.versions.toml': 'gradle/libs.versions.toml',
    'bundler/Gemfile': 'Gemfile',
  };
  mkdirSync(join(dir, 'app'));
  mkdirSync(join(dir, 'gradle'));
  for (const [from, to] of Object.entries(copies)) copyFileSync(join(fixturesDir, from), join(dir, to));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function bump(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env: {}, cwd: dir };
  const code = await main(['bump', ...args], { ...io, stdout: (t) => void io.stdout(t), stderr: (t) => void io.stderr(t) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const read = (name: string): string => readFileSync(join(dir, name), 'utf8');

describe('bump (in-process)', () => {
  it('prints the updated file and leaves it untouched', async () => {
    const before = read('package.json');
    const { code, stdout, stderr } = await bump('package.json', 'axios', '0.21.2');
    expect(code).toBe(0);
    expect(stdout).toBe(before.replace('"^0.21.1"', '"^0.21.2"'));
    expect(stdout.startsWith('\uFEFF')).toBe(true);
    expect(stderr).toContain('lockfile-must-be-regenerated');
    expect(read('package.json')).toBe(before);
  });

  it('writes in place with --write', async () => {
    const before = read('requirements.txt');
    const { code, stdout } = await bump('--write', 'requirements.txt', 'DJANGO', '3.2.25');
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(read('requirements.txt')).toBe(before.replace('Django==3.2.4', 'Django==3.2.25'));
  });

  it('refuses with a code and one line, leaving the file untouched even with --write', async () => {
    const before = read('requirements.txt');
    const { code, stdout, stderr } = await bump('requirements.txt', 'cryptography', '41.0.0', '--write');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^bump: hashes-required: .+\n$/);
    expect(read('requirements.txt')).toBe(before);
  });

  it('accepts Go versions without the leading v and changes the path for a new major', async () => {
    const { code, stdout } = await bump('go.mod', 'github.com/go-redis/redis/v8', '9.0.1');
    expect(code).toBe(0);
    expect(stdout).toContain('\tgithub.com/go-redis/redis/v9 v9.0.1\n');
  });

  it('names the file that defines a Gradle property held elsewhere', async () => {
    const { code, stderr } = await bump('app/build.gradle', 'io.netty:netty-handler', '4.1.68.Final');
    expect(code).toBe(1);
    // the message quotes the Gradle property literally
    expect(stderr).toBe('bump: version-defined-elsewhere: version is ${nettyVersion}: defined in gradle.properties\n');
    const next = await bump('gradle.properties', 'nettyVersion', '4.1.68.Final');
    expect(next.code).toBe(0);
    expect(next.stdout).toContain('nettyVersion = 4.1.68.Final\r\n');
  });

  it('updates a version catalog by module and Maven properties by coordinate', async () => {
    const catalog = await bump('gradle/libs.versions.toml', 'org.jetbrains.kotlinx:kotlinx-coroutines-core', '1.6.4');
    expect(catalog.stdout).toContain('coroutines = "1.6.4" # shared by core and test');
    const pom = await bump('pom.xml', 'org.apache.logging.log4j:log4j-api', '2.17.1');
    expect(pom.stdout).toContain('<log4j2.version>2.17.1</log4j2.version>');
  });

  it('takes the ecosystem from --ecosystem for other file names', async () => {
    writeFileSync(join(dir, 'deps.txt'), 'flask==1.0\n');
    expect((await bump('deps.txt', 'flask', '2.2.5')).code).toBe(2);
    const { code, stdout } = await bump('deps.txt', 'flask', '2.2.5', '--ecosystem', 'pip');
    expect(code).toBe(0);
    expect(stdout).toBe('flask==2.2.5\n');
  });

  it('reports usage errors and missing files', async () => {
    expect((await bump('package.json')).code).toBe(2);
    expect((await bump('package.json', 'a', '1.0.0', '--ecosystem', 'cargo')).code).toBe(2);
    const missing = await bump('nope/package.json', 'a', '1.0.0');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ENOENT');
  });

  it('exits 0 without changes when the requirement is already satisfied', async () => {
    const before = read('Gemfile');
    const { code, stdout, stderr } = await bump('Gemfile', 'puma', '5.0.0', '--write');
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('already-satisfied');
    expect(read('Gemfile')).toBe(before);
  });
});

describe('bump (child process)', () => {
  const run = (...args: string[]) => spawnSync(nodeBinary, [cli, 'bump', ...args], { cwd: dir, encoding: 'utf8' });

  it('prints the updated Gemfile on stdout', () => {
    const result = run('Gemfile', 'rails', '6.1.7');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(read('Gemfile').replace('"~> 6.1.4"', '"~> 6.1.7"'));
  });

  it('writes in place with --write', () => {
    const before = read('pom.xml');
    const result = run('pom.xml', 'org.yaml:snakeyaml', '2.0', '--write');
    expect(result.status).toBe(0);
    expect(read('pom.xml')).toBe(before.replace('<version> 1.26 <!--', '<version> 2.0 <!--'));
  });

  it('fails with one line on stderr and leaves the file untouched', () => {
    const before = read('package.json');
    const result = run('package.json', 'left-pad', '1.3.0', '--write');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('bump: package-not-found: left-pad is not declared in package.json\n');
    expect(read('package.json')).toBe(before);
  });
});
