import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSummary, descriptionAdf, descriptionWiki, type FindingForJira, RICH_TEXT_LIMIT } from '../../../src/providers/jira/index.ts';
import { validateAdf } from '../../simulators/jira/shared/adf.ts';
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../../simulators/jira/cloud/index.ts';
import { type JiraServerSimulator, startJiraServerSimulator } from '../../simulators/jira/server/index.ts';
import { type Harness, makeClient } from './helpers.ts';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';

const vuln: FindingForJira = {
  kind: 'vulnerability',
  title: 'Prototype pollution in lodash',
  description: 'lodash before 4.17.21 is vulnerable to command injection via template.\n\nSecond paragraph.',
  severity: 'high',
  ecosystem: 'npm',
  packageName: 'lodash',
  installedVersion: '4.17.15',
  fixedVersion: '4.17.21',
  advisoryIds: ['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm', 'OSV-2021-1'],
  cvssScore: 7.2,
  repoUrl: 'https://github.com/acme/web',
  manifestPath: 'package.json',
  fingerprint: 'fp-123',
};

const manyAdvisories = (n: number) => Array.from({ length: n }, (_, i) => `CVE-2024-${String(10000 + i)}`);

let cloud: JiraCloudSimulator;
let server: JiraServerSimulator;
let cloudHarness: Harness;
let serverHarness: Harness;

beforeAll(async () => {
  cloud = await startJiraCloudSimulator({ searchLagMs: 0 });
  server = await startJiraServerSimulator({ contextPath: '/jira' });
  cloudHarness = makeClient({ flavor: 'cloud', baseUrl: cloud.url, credentials: staticCredentials({ kind: 'api-token', email: cloud.credentials.email, apiToken: cloud.credentials.apiToken }) });
  serverHarness = makeClient({ flavor: 'server', baseUrl: server.url, credentials: staticCredentials({ kind: 'pat', token: server.credentials.pat }) });
});
afterAll(async () => {
  await cloudHarness.http.close();
  await serverHarness.http.close();
  await cloud.close();
  await server.close();
});

describe('ADF description', () => {
  it('has headings, paragraphs, a details table, linked advisories and remediation bullets', () => {
    const { body, truncated } = descriptionAdf(vuln);
    expect(truncated).toBe(false);
    expect(validateAdf(body)).toEqual({ ok: true });
    const json = JSON.stringify(body);
    expect(json).toContain('"href":"https://nvd.nist.gov/vuln/detail/CVE-2021-23337"');
    expect(json).toContain('"href":"https://github.com/advisories/GHSA-35jh-r3h4-6jhm"');
    expect(json).toContain('"type":"bulletList"');
    expect(json).toContain('Upgrade lodash from 4.17.15 to 4.17.21 or later in package.json.');
    expect(body.content.filter((n) => n.type === 'table')).toHaveLength(2);
    expect(body.content.filter((n) => n.type === 'paragraph').length).toBeGreaterThanOrEqual(2);
  });

  it('describes violations by framework and control', () => {
    const json = JSON.stringify(descriptionAdf({ kind: 'violation', title: 'MFA missing', severity: 'medium', framework: 'FedRAMP', controlId: 'AC-2', caseName: 'Audit 2026' }).body);
    expect(json).toContain('Compliance violation: MFA missing');
    expect(json).toContain('FedRAMP');
    expect(json).toContain('AC-2');
    expect(json).toContain('Audit 2026');
  });

  it('cuts 500 advisories structurally, with a marker, under the limit, and Jira Cloud accepts it', async () => {
    const finding = { ...vuln, advisoryIds: manyAdvisories(500), detailsUrl: 'https://integration.example/findings/1' };
    const { body, truncated, omittedAdvisories } = descriptionAdf(finding);
    expect(truncated).toBe(true);
    expect(omittedAdvisories).toBeGreaterThan(0);
    expect(omittedAdvisories).toBeLessThan(500);
    const json = JSON.stringify(body);
    expect(json.length).toBeLessThanOrEqual(RICH_TEXT_LIMIT);
    expect(json.length).toBeGreaterThan(RICH_TEXT_LIMIT * 0.8);
    expect(json).toContain(`… truncated: ${omittedAdvisories} more advisories; see `);
    expect(json).toContain('"href":"https://integration.example/findings/1"');
    expect(validateAdf(body)).toEqual({ ok: true });
    const ref = await cloudHarness.client.createIssue({ project: { key: 'SEC' }, issuetype: { name: 'Bug' }, summary: buildSummary(finding), description: body });
    expect(cloud.admin.issue(ref.key)).toBeDefined();
  });

  it('gives a valid document within the limit for any input (property)', () => {
    const text = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 50 }), fc.string({ unit: 'binary', maxLength: 3000 }), fc.constantFrom('', ' ', '\n\n', '"\\', '\u0000'));
    const finding = fc.record(
      {
        kind: fc.constantFrom('vulnerability' as const, 'violation' as const),
        title: text,
        description: fc.option(fc.oneof(text, fc.string({ unit: 'binary', minLength: 30_000, maxLength: 60_000 }), fc.constant('\na'.repeat(20_000)))),
        severity: fc.option(text),
        ecosystem: fc.option(text),
        packageName: fc.option(text),
        installedVersion: fc.option(text),
        fixedVersion: fc.option(text),
        advisoryIds: fc.array(fc.oneof(text, fc.constant('CVE-2021-44228'), fc.constant('GHSA-jfh8-c2jp-5v3q')), { maxLength: 700 }),
        cvssScore: fc.option(fc.double()),
        repoUrl: fc.option(fc.oneof(text, fc.webUrl(), fc.constant('javascript:alert(1)'))),
        manifestPath: fc.option(text),
        framework: fc.option(text),
        controlId: fc.option(text),
        caseName: fc.option(text),
        fingerprint: fc.option(text),
        remediation: fc.array(text, { maxLength: 80 }),
        detailsUrl: fc.option(fc.webUrl()),
      },
      { requiredKeys: ['kind', 'title'] },
    );
    fc.assert(
      fc.property(finding, (f) => {
        const { body } = descriptionAdf(f);
        expect(validateAdf(body)).toEqual({ ok: true });
        expect(JSON.stringify(body).length).toBeLessThanOrEqual(RICH_TEXT_LIMIT);
        const wiki = descriptionWiki(f).body;
        expect(wiki.length).toBeLessThanOrEqual(RICH_TEXT_LIMIT);
        const summary = buildSummary(f);
        expect(summary.length).toBeLessThanOrEqual(255);
        expect(summary).not.toMatch(/[\n\r]/);
        expect(summary.trim()).not.toBe('');
      }),
      { numRuns: 150 },
    );
  });
});

describe('wiki description', () => {
  it('uses h2., ||header||, |cell|, [text|url] and * bullets, and Jira Server accepts it', async () => {
    const { body } = descriptionWiki(vuln);
    expect(body).toMatch(/^h2\. Vulnerability: Prototype pollution in lodash/);
    expect(body).toContain('||Field||Value||');
    expect(body).toContain('|*Severity*|HIGH|');
    expect(body).toContain('[CVE\\-2021\\-23337|https://nvd.nist.gov/vuln/detail/CVE-2021-23337]');
    expect(body).toMatch(/^\* Upgrade lodash/m);
    const ref = await serverHarness.client.createIssue({ project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: buildSummary(vuln), description: body });
    expect(server.admin.issue(ref.key)?.description).toBe(body);
  });

  it('escapes wiki syntax in user text so it cannot open links, macros, cells or headings', () => {
    const hostile = descriptionWiki({
      kind: 'vulnerability',
      title: 'x|y [evil|https://evil.example] {code}',
      description: 'h1. Big\n* not a bullet\n{noformat}\\\\ break |cell| !image.png! -strike- +u+ ^sup^ ~sub~ #num _em_ ?cite?',
      packageName: 'p|q',
      repoUrl: 'https://example.com/a|b]c',
    }).body;
    expect(hostile).not.toContain('[evil|');
    expect(hostile).toContain('\\[evil\\|https://evil.example\\]');
    expect(hostile).toContain('\\{code\\}');
    expect(hostile).toContain('h1&#46; Big');
    expect(hostile).toContain('\\* not a bullet');
    expect(hostile).toContain('&#92;&#92; break \\|cell\\| \\!image.png\\! \\-strike\\- \\+u\\+ \\^sup\\^ \\~sub\\~ \\#num \\_em\\_ \\?cite\\?');
    expect(hostile).toContain('{{p\\|q}}');
    expect(hostile).toContain('|https://example.com/a%7Cb%5Dc]');
  });

  it('cuts 500 advisories with a marker under the limit', () => {
    const { body, omittedAdvisories } = descriptionWiki({ ...vuln, advisoryIds: manyAdvisories(500) });
    expect(body.length).toBeLessThanOrEqual(RICH_TEXT_LIMIT);
    expect(omittedAdvisories).toBeGreaterThan(0);
    expect(body).toContain(`… truncated: ${omittedAdvisories} more advisories_; see [`);
  });
});

describe('summary', () => {
  it('reads well and stays on one line within 255 characters', () => {
    expect(buildSummary(vuln)).toBe('[HIGH] lodash 4.17.15: Prototype pollution in lodash (CVE-2021-23337)');
    expect(buildSummary({ kind: 'violation', title: 'MFA\nmissing', severity: 'low', framework: 'FedRAMP', controlId: 'AC-2' })).toBe('[LOW] FedRAMP AC-2: MFA missing');
    const long = buildSummary({ ...vuln, title: 'x'.repeat(400) });
    expect(long).toHaveLength(255);
    expect(long.endsWith('… (CVE-2021-23337)')).toBe(true);
  });
});
