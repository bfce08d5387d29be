/**
 * The command line's argument parser (commander): --help for every command, clear errors for unknown
 * commands and options; and `import` both through a running service's API and directly into the
 * database when no service answers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findings, scanTargetFindings } from '../../src/db/schema.ts';
import type { CliIo } from '../../src/main/cli-io.ts';
import { main } from '../../src/main/cli.ts';
import { startTestService, testEnv, type TestService } from '../helpers/runtime.ts';
import { fixturePath } from '../importers/helpers.ts';

const everyCommand = ['serve', 'worker', 'migrate', 'rotate-keys', 'keygen', 'token', 'bump', 'import', 'summary', 'tls-cert'];

async function cli(argv: string[], env: Record<string, string> = {}, cwd = tmpdir()) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env, cwd };
  const code = await main(argv, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('command line arguments', () => {
  it.each(everyCommand)('%s --help prints its usage and exits 0 without running', async (command) => {
    for (const argv of [[command, '--help'], [command, '-h'], ['help', command]]) {
      const { code, stdout, stderr } = await cli(argv);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toContain(`Usage: integration-service ${command}`);
    }
  });

  it('lists every command', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const command of everyCommand) expect(stdout).toContain(command);
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Usage: integration-service');
  });

  it('refuses unknown commands, unknown options, missing and stray arguments with exit 2', async () => {
    expect(await cli(['nosuch'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'nosuch'") });
    expect(await cli(['token', '--nope'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--nope'") });
    expect(await cli(['serve', '--port', '1'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--port'") });
    expect(await cli(['bump', 'package.json'])).toMatchObject({ code: 2, stderr: expect.stringContaining("missing required argument 'package'") });
    expect(await cli(['import'])).toMatchObject({ code: 2, stderr: expect.stringContaining("missing required argument 'file'") });
    expect(await cli(['import', 'a.json', '--format', 'csv'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Allowed choices are trivy') });
    expect(await cli(['keygen', 'extra'])).toMatchObject({ code: 2, stderr: expect.stringContaining('too many arguments') });
  });

  it('still runs commands with their options', async () => {
    const key = await cli(['keygen', '--id', 'k1']);
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/^k1:[A-Za-z0-9+/]+=*\n$/);
    const token = await cli(['token', '--sub', 'alice', '--role', 'admin', '--role', 'member'], testEnv());
    expect(token.code).toBe(0);
    expect(token.stdout.split('.')).toHaveLength(3);
  });
});

describe('import command', () => {
  let dir: string;
  let service: TestService;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'import-cli-'));
    service = await startTestService('embedded');
    url = await service.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts to the running service with a minted token and prints the summary', async () => {
    const first = await cli(['import', fixturePath('grype/image.json'), '--url', url, '--target', 'registry/acme-web', '--org', 'cli-org'], testEnv());
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`imported a grype report as a complete scan of registry/acme-web`);
    expect(first.stdout).toContain(`through ${url}`);
    expect(first.stdout).toContain('new 4, updated 0, unchanged 0, resolved 0, reopened 0');
    const orgId = await service.context.tenants.orgId('cli-org');
    const rows = await service.context.db.orm
      .select({ id: findings.id })
      .from(findings)
      .innerJoin(scanTargetFindings, eq(scanTargetFindings.findingId, findings.id))
      .where(and(eq(findings.orgId, orgId), eq(scanTargetFindings.target, 'registry/acme-web')));
    expect(rows).toHaveLength(4);

    const dry = await cli(['import', fixturePath('grype/no-matches.json'), '--url', url, '--target', 'registry/acme-web', '--org', 'cli-org', '--dry-run', '--json'], testEnv());
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, scanId: null, resolved: 4, new: 0 });

    const malformed = join(dir, 'broken.json');
    writeFileSync(malformed, '{"matches":[{"vulnerability":\n nope}]}');
    const refused = await cli(['import', malformed, '--url', url, '--format', 'grype', '--org', 'cli-org'], testEnv());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/IMPORT_MALFORMED: .*\$\.matches\[0\].*line 2/);
  });

  it('imports directly into the database when no service answers, and the next scan resolves', async () => {
    const env = testEnv({ DATA_DIR: join(dir, 'data'), PORT: '9' });
    const report = join(dir, 'trivy.json');
    const write = (ids: string[]) =>
      writeFileSync(
        report,
        JSON.stringify({ SchemaVersion: 2, Results: [{ Target: 'package-lock.json', Class: 'lang-pkgs', Type: 'npm', Vulnerabilities: ids.map((id, i) => ({ VulnerabilityID: id, PkgName: `pkg-${i}`, InstalledVersion: '1.0.0', FixedVersion: '1.0.1', Severity: 'HIGH' })) }] }),
      );
    write(['CVE-2024-1000', 'CVE-2024-1001']);
    const first = await cli(['import', report, '--target', 'acme/api', '--json'], env, dir);
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toMatchObject({ format: 'trivy', target: 'acme/api', new: 2 });
    write(['CVE-2024-1000']);
    const second = await cli(['import', 'trivy.json', '--target', 'acme/api'], env, dir);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('directly into the embedded database');
    expect(second.stdout).toContain('new 0, updated 0, unchanged 1, resolved 1, reopened 0');
    const missing = await cli(['import', 'nope.json'], env, dir);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot read nope.json: ENOENT') });
  }, 120_000);
});
