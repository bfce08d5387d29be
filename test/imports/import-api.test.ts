/**
 * POST /api/v1/findings/import end to end: formats through HTTP, alias merging, the scan lifecycle
 * (resolve on absence, reopen on return, partial scans), dry runs, malformed reports writing
 * nothing, and the lifecycle hook.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findings, scans, scanTargetFindings } from '../../src/db/schema.ts';
import { onFindingTransitions, type FindingTransitions } from '../../src/services/imports/lifecycle.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';
import { readFixture } from '../importers/helpers.ts';

function trivy(vulns: { id: string; pkg: string; version?: string; fixed?: string; severity?: string; target?: string }[]): string {
  const byTarget = new Map<string, unknown[]>();
  for (const v of vulns) {
    const target = v.target ?? 'package-lock.json';
    byTarget.set(target, [
      ...(byTarget.get(target) ?? []),
      { VulnerabilityID: v.id, PkgName: v.pkg, InstalledVersion: v.version ?? '1.0.0', FixedVersion: v.fixed ?? '1.0.1', Severity: v.severity ?? 'HIGH', Title: `${v.id} in ${v.pkg}` },
    ]);
  }
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: '.',
    Results: [...byTarget.entries()].map(([Target, Vulnerabilities]) => ({ Target, Class: 'lang-pkgs', Type: 'npm', Vulnerabilities })),
  });
}

describe.each(databaseKinds())('findings import on %s', (kind) => {
  let service: TestService;
  let token: string;
  let orgId: string;
  const events: FindingTransitions[] = [];
  let stopListening: () => void;

  const post = async (query: string, body: string | Buffer, contentType = 'application/json') =>
    service.app.inject({ method: 'POST', url: `/api/v1/findings/import?${query}`, payload: body, headers: { authorization: `Bearer ${token}`, 'content-type': contentType } });
  const rowsOf = async (target: string) =>
    service.context.db.orm
      .select({ id: findings.id, state: findings.state, packageName: findings.packageName, advisoryIds: findings.advisoryIds, stateReason: findings.stateReason, fingerprint: findings.fingerprint, manifestPath: findings.manifestPath })
      .from(findings)
      .innerJoin(scanTargetFindings, eq(scanTargetFindings.findingId, findings.id))
      .where(and(eq(findings.orgId, orgId), eq(scanTargetFindings.target, target)))
      .orderBy(findings.packageName);
  const count = async (table: typeof findings | typeof scans) => {
    const [row] = await service.context.db.orm.select({ n: sql<number>`count(*)::int` }).from(table);
    return row!.n;
  };

  beforeAll(async () => {
    service = await startTestService(kind);
    token = await service.token({ org: 'import-org', subject: 'scanner-bot' });
    orgId = await service.context.tenants.orgId('import-org');
    stopListening = onFindingTransitions((t) => {
      events.push(t);
    });
  });
  afterAll(async () => {
    stopListening?.();
    await service?.close();
  });

  it('needs a token', async () => {
    const response = await service.app.inject({ method: 'POST', url: '/api/v1/findings/import?target=x', payload: '{}', headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(401);
  });

  it('imports each fixture format over HTTP, detecting the format (octet-stream too)', async () => {
    for (const [fixture, format, contentType] of [
      ['trivy/fs-npm.json', 'trivy', 'application/json'],
      ['grype/image.json', 'grype', 'application/octet-stream'],
      ['osv/v2.json', 'osv', 'application/json'],
      ['npm-audit/v2.json', 'npm-audit', 'application/json'],
      ['sarif/codeql.sarif', 'sarif', 'application/octet-stream'],
      ['dependabot/alerts.json', 'dependabot', 'application/json'],
    ] as const) {
      const response = await post(`target=${encodeURIComponent(`formats/${format}`)}`, readFixture(fixture), contentType);
      expect(response.statusCode, response.body).toBe(200);
      const summary = response.json();
      expect(summary).toMatchObject({ format, target: `formats/${format}`, partial: false, dry_run: false, updated: 0, unchanged: 0, resolved: 0, reopened: 0 });
      expect(summary.scan_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(summary.new).toBeGreaterThan(0);
    }
    // Trivy's two lockfiles naming CVE-2021-23337 for lodash: one finding; skips counted by reason.
    const trivyRows = await rowsOf('formats/trivy');
    expect(trivyRows.filter((r) => r.advisoryIds.includes('CVE-2021-23337'))).toHaveLength(1);
    expect(trivyRows).toHaveLength(3);
    // Dependabot: the open alert only (fixed → not live, dismissed → left alone).
    const dependabot = await rowsOf('formats/dependabot');
    expect(dependabot.map((r) => r.packageName)).toEqual(['Django']);
    const again = await post('target=formats%2Fdependabot&format=dependabot', readFixture('dependabot/alerts.json'));
    expect(again.json()).toMatchObject({ new: 0, unchanged: 1, skipped: [{ reason: 'dismissed-alert', count: 2 }, { reason: 'fixed-alert', count: 1 }] });
  });

  it('merges aliases: the fingerprint stays whichever id a scanner reports first', async () => {
    // First scan knows only the GHSA id; the second names the CVE and the GHSA; the third only the CVE.
    const osv = (ids: string[]) =>
      JSON.stringify({ results: [{ source: { path: 'package-lock.json' }, packages: [{ package: { name: 'minimist', version: '1.2.5', ecosystem: 'npm' }, vulnerabilities: [{ id: ids[0], aliases: ids.slice(1), summary: 'Prototype Pollution in minimist' }], groups: [{ ids: [ids[0]] }] }] }] });
    const first = await post('target=aliases&format=osv', osv(['GHSA-xvch-5gv4-984h']));
    expect(first.json()).toMatchObject({ new: 1 });
    const [before] = await rowsOf('aliases');
    const second = await post('target=aliases&format=osv', osv(['CVE-2021-44906', 'GHSA-xvch-5gv4-984h']));
    expect(second.json()).toMatchObject({ new: 0, updated: 1, resolved: 0 });
    const third = await post('target=aliases&format=trivy', trivy([{ id: 'CVE-2021-44906', pkg: 'minimist', version: '1.2.5' }]));
    expect(third.json()).toMatchObject({ new: 0, resolved: 0 });
    const rows = await rowsOf('aliases');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.fingerprint).toBe(before!.fingerprint);
    expect(rows[0]!.advisoryIds).toEqual(['CVE-2021-44906', 'GHSA-xvch-5gv4-984h']);
  });

  it('merges the same advisory named by several targets of one report, across write chunks', async () => {
    const vulns = Array.from({ length: 600 }, (_, i) => ({ id: `CVE-2025-${String(10000 + i)}`, pkg: `many-${i}` }));
    const report = JSON.parse(trivy([...vulns, { id: 'CVE-2025-10000', pkg: 'many-0', target: 'web/package-lock.json' }]));
    // The second target (written in the second chunk of 500) also knows the GHSA id.
    report.Results[1].Vulnerabilities[0].VendorIDs = ['GHSA-aaaa-bbbb-cccc'];
    const summary = (await post('target=chunks', JSON.stringify(report))).json();
    expect(summary).toMatchObject({ received: 601, new: 600, updated: 0, unchanged: 0 });
    const rows = (await rowsOf('chunks')).filter((r) => r.packageName === 'many-0');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ advisoryIds: ['CVE-2025-10000', 'GHSA-aaaa-bbbb-cccc'], manifestPath: 'package-lock.json' });
    // Imported again: all unchanged, nothing resolved.
    expect((await post('target=chunks', JSON.stringify(report))).json()).toMatchObject({ new: 0, updated: 0, unchanged: 600, resolved: 0 });
  });

  it('resolves what a newer complete scan no longer reports, reopens it when it returns, and partial scans resolve nothing', async () => {
    events.length = 0;
    const both = trivy([
      { id: 'CVE-2024-0001', pkg: 'alpha' },
      { id: 'CVE-2024-0002', pkg: 'beta' },
    ]);
    expect((await post('target=acme%2Fweb', both)).json()).toMatchObject({ new: 2, resolved: 0 });
    expect((await post('target=acme%2Fweb', both)).json()).toMatchObject({ new: 0, updated: 0, unchanged: 2, resolved: 0 });

    // A partial scan without beta resolves nothing.
    const alphaOnly = trivy([{ id: 'CVE-2024-0001', pkg: 'alpha' }]);
    expect((await post('target=acme%2Fweb&partial=true', alphaOnly)).json()).toMatchObject({ partial: true, unchanged: 1, resolved: 0 });
    expect((await rowsOf('acme/web')).map((r) => r.state)).toEqual(['backlog', 'backlog']);

    // A complete scan without beta resolves it; another target is untouched.
    await post('target=acme%2Fapi', trivy([{ id: 'CVE-2024-0002', pkg: 'beta' }]));
    const resolving = (await post('target=acme%2Fweb', alphaOnly)).json();
    expect(resolving).toMatchObject({ unchanged: 1, resolved: 1 });
    let rows = await rowsOf('acme/web');
    const beta = rows.find((r) => r.packageName === 'beta')!;
    expect(beta.state).toBe('done');
    expect(beta.stateReason).toBe(`resolved: no longer detected in scan ${resolving.scan_id} of acme/web`);
    expect((await rowsOf('acme/api')).map((r) => r.state)).toEqual(['backlog']);
    expect(events.at(-1)).toMatchObject({ orgId, target: 'acme/web', scanId: resolving.scan_id, resolved: [beta.id], reopened: [] });

    // A scan of nothing resolves nothing more (beta is already resolved) and alpha now.
    // beta returns: the same row is reopened, not duplicated.
    const returning = (await post('target=acme%2Fweb', both)).json();
    expect(returning).toMatchObject({ new: 0, reopened: 1, resolved: 0, unchanged: 1 });
    rows = await rowsOf('acme/web');
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.packageName === 'beta')).toMatchObject({ id: beta.id, state: 'backlog' });
    expect(events.at(-1)).toMatchObject({ scanId: returning.scan_id, resolved: [], reopened: [beta.id] });
  });

  it('dry run answers the summary and writes nothing', async () => {
    const findingsBefore = await count(findings);
    const scansBefore = await count(scans);
    const eventsBefore = events.length;
    const dry = await post('target=acme%2Fweb&dry_run=true', trivy([{ id: 'CVE-2024-0003', pkg: 'gamma' }]));
    expect(dry.json()).toMatchObject({ scan_id: null, dry_run: true, new: 1, resolved: 2 });
    expect(await count(findings)).toBe(findingsBefore);
    expect(await count(scans)).toBe(scansBefore);
    expect((await rowsOf('acme/web')).map((r) => r.state)).toEqual(['backlog', 'backlog']);
    expect(events.length).toBe(eventsBefore);
  });

  it('refuses malformed reports naming the path and line, and writes nothing', async () => {
    const findingsBefore = await count(findings);
    const scansBefore = await count(scans);
    // The first element is fine; the error comes later: still nothing written.
    const report = `{"SchemaVersion":2,"Results":[{"Target":"package-lock.json","Type":"npm","Vulnerabilities":[\n{"VulnerabilityID":"CVE-2024-9","PkgName":"ok","InstalledVersion":"1.0.0","Severity":"LOW"},\n{"VulnerabilityID": oops}]}]}`;
    const response = await post('target=acme%2Fweb', report);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'IMPORT_MALFORMED', field: '$.Results[0].Vulnerabilities[1]' });
    expect(response.json().error.message).toContain('line 3');
    const wrongShape = await post('target=acme%2Fweb&format=grype', '{"matches":{"a":1}}');
    expect(wrongShape.json().error).toMatchObject({ code: 'IMPORT_MALFORMED', field: '$.matches' });
    const unknown = await post('target=acme%2Fweb', '{"hello":"world"}');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe('IMPORT_FORMAT_UNKNOWN');
    expect(await count(findings)).toBe(findingsBefore);
    expect(await count(scans)).toBe(scansBefore);
    expect((await rowsOf('acme/web')).map((r) => r.state)).toEqual(['backlog', 'backlog']);
  });

  it('refuses a request without a report', async () => {
    const none = await service.app.inject({ method: 'POST', url: '/api/v1/findings/import?target=x', headers: { authorization: `Bearer ${token}` } });
    expect(none.statusCode).toBe(400);
    expect(none.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'body' });
    const empty = await post('target=x', '');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe('IMPORT_FORMAT_UNKNOWN');
  });

  it('refuses other content types and reports over IMPORT_MAX_BYTES', async () => {
    const response = await post('target=x', 'a,b', 'text/csv');
    expect(response.statusCode).toBe(415);
    const small = await startTestService(kind, { IMPORT_MAX_BYTES: '100' });
    try {
      const big = await small.app.inject({
        method: 'POST',
        url: '/api/v1/findings/import?target=x',
        payload: trivy([{ id: 'CVE-2024-0001', pkg: 'alpha' }, { id: 'CVE-2024-0002', pkg: 'beta' }]),
        headers: { authorization: `Bearer ${await small.token({ org: 'import-org' })}`, 'content-type': 'application/json' },
      });
      expect(big.statusCode).toBe(413);
      expect(big.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    } finally {
      await small.close();
    }
  }, 180_000); // a second service starts here

  it('is in the OpenAPI document', async () => {
    const doc = (await service.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const operation = doc.paths['/api/v1/findings/import'].post;
    expect(Object.keys(operation.requestBody.content)).toEqual(expect.arrayContaining(['application/json', 'application/octet-stream']));
    expect(operation.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['format', 'target', 'dry_run', 'partial']));
  });
});
