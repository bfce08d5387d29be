/**
 * The HTTP boundary under hostile input (issue 9): every route in the app's own /openapi.json, every
 * body, query and path field, a set of hostile values (control characters and NUL, invisible and
 * bidirectional characters, lone surrogates, 10,000-deep nesting, huge strings, wrong types, arrays
 * for objects, unparseable and private URLs, prototype keys, git option and path tricks) plus a few
 * values from fast-check with a fixed seed. Each value is put into an otherwise valid request with an
 * admin token. The service must never answer 5xx, must keep answering, and must write nothing when it
 * answers 4xx (the row counts of the main tables are compared around every such request).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

interface OpenApiSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, OpenApiSchema>;
  items?: OpenApiSchema;
  anyOf?: OpenApiSchema[];
  oneOf?: OpenApiSchema[];
  allOf?: OpenApiSchema[];
  additionalProperties?: OpenApiSchema | boolean;
  propertyNames?: OpenApiSchema;
}

interface Operation {
  parameters?: { name: string; in: 'query' | 'path' | 'header'; schema?: OpenApiSchema }[];
  requestBody?: { content?: Record<string, { schema?: OpenApiSchema }> };
}

/**
 * 10,000-deep values cannot go through JSON.stringify here (the test's own stack would overflow), so
 * they travel as placeholders replaced by their JSON text when the request is serialized.
 */
const DEEP = {
  '@@deep-object@@': `${'{"a":'.repeat(10_000)}"bottom"${'}'.repeat(10_000)}`,
  '@@deep-array@@': `${'['.repeat(10_000)}1${']'.repeat(10_000)}`,
};

function serialize(value: Json): string {
  let text = JSON.stringify(value);
  for (const [placeholder, raw] of Object.entries(DEEP)) text = text.split(JSON.stringify(placeholder)).join(raw);
  return text;
}

/** Percent-encodes every byte of the UTF-8 text (a lone surrogate goes as U+FFFD, as on any wire). */
function encode(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

function deepObject(depth: number): Json {
  let value: Json = 'bottom';
  for (let level = 0; level < depth; level += 1) value = { a: value };
  return value;
}

/** Hostile values for every field, each with a label for the failure report. */
const universal: [string, Json][] = [
  ['NUL inside', 'abc\u0000def'],
  ['C0 controls and an escape sequence', 'x\u0007\u0008\u001b[31mred\u001b[0m'],
  ['C1 control', 'x\u0085y\u009b'],
  ['line breaks', 'a\r\nb\nc'],
  ['bidi override', 'admin\u202egnp.exe'],
  ['zero-width', '\u200bmain\u200d\ufeff'],
  ['lone surrogate', 'a\ud800b'],
  ['empty', ''],
  ['spaces', '   '],
  ['huge string', 'x'.repeat(300_000)],
  ['10k-deep object', '@@deep-object@@'],
  ['10k-deep array', '@@deep-array@@'],
  ['negative', -1],
  ['huge number', 1e308],
  ['true', true],
  ['null', null],
  ['empty array', []],
  ['array of objects', [{ a: 1 }]],
  ['object', { a: 'b' }],
  ['prototype key', JSON.parse('{"__proto__":{"polluted":true}}') as Json],
  ['constructor key', JSON.parse('{"constructor":{"prototype":{"polluted":true}}}') as Json],
];

/** Strings that mean something to a URL, git, path or id parser: for the fields that are one of those. */
const semantic: [RegExp, [string, Json][]][] = [
  [
    /url/,
    [
      ['unparseable URL (bracket)', 'http://[::1'],
      ['unparseable URL (percent)', 'http://exa%mple.com'],
      ['URLs in prose', 'see http://[::1 and http://exa%mple.com/x?token=abc and http://127.0.0.1:1/x'],
      ['metadata URL', 'https://169.254.169.254/latest/meta-data'],
      ['javascript URL', 'javascript:alert(1)'],
      ['file URL', 'file:///etc/passwd'],
      ['URL with credentials', 'https://user:pass@github.com/acme/web'],
    ],
  ],
  [
    /branch|path|file/,
    [
      ['git option', '--upload-pack=touch /tmp/pwned'],
      ['short option', '-fo'],
      ['full ref', 'refs/heads/x'],
      ['nested .git', 'a/.GIT/config'],
      ['path traversal', '../../etc/passwd'],
    ],
  ],
  [
    /_id$|^id$|Id$/,
    [
      ['not a uuid', '00000000-0000-0000-0000-00000000000g'],
      ['path traversal', '../../etc/passwd'],
    ],
  ],
  [/key/, [['path traversal', '../../etc/passwd']]],
];

/** Values for fields that take any JSON (Jira fields, custom fields): past each bound. */
const jsonShaped: [string, Json][] = [
  ['70-deep object', deepObject(70)],
  ['wide object', Object.fromEntries(Array.from({ length: 20_001 }, (_, index) => [`k${index}`, index]))],
  ['key with NUL', { 'a\u0000b': 1 }],
];
const JSON_FIELD = /^(fields|custom_fields|customfield_\d+)$/;

/** A few more from fast-check, deterministic (fixed seed): odd strings and JSON values. */
const generated: [string, Json][] = fc
  .sample(fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>), { seed: 20260509, numRuns: 4 })
  .map((value, index) => [`fast-check #${index}`, value as Json]);

/** The values to try in a field named `name` (the last segment of its path). */
function valuesFor(name: string | number | undefined): [string, Json][] {
  const key = String(name ?? '');
  const meaningful = semantic.flatMap(([field, list]) => (field.test(key) ? list : []));
  return [...universal, ...generated, ...meaningful, ...(JSON_FIELD.test(key) ? jsonShaped : [])];
}

/** Query and path fields are strings on the wire: the hostile strings, and JSON text for the rest. */
const wire = (value: Json): string => (typeof value === 'string' && !(value in DEEP) ? value : serialize(value)).slice(0, 20_000);

function resolve(schema: OpenApiSchema | undefined, components: Record<string, OpenApiSchema>): OpenApiSchema | undefined {
  if (!schema?.$ref) return schema;
  return components[schema.$ref.replace('#/components/schemas/', '')];
}

/** Every field path a body schema declares (objects, array items as index 0, union variants). */
function fieldPaths(schema: OpenApiSchema | undefined, components: Record<string, OpenApiSchema>, path: Path = [], depth = 0): Path[] {
  const resolved = resolve(schema, components);
  if (!resolved || depth > 6) return [];
  const found: Path[] = [];
  for (const variant of [...(resolved.anyOf ?? []), ...(resolved.oneOf ?? []), ...(resolved.allOf ?? [])]) found.push(...fieldPaths(variant, components, path, depth + 1));
  for (const [key, child] of Object.entries(resolved.properties ?? {})) {
    found.push([...path, key]);
    found.push(...fieldPaths(child, components, [...path, key], depth + 1));
  }
  if (resolved.items) found.push(...fieldPaths(resolved.items, components, [...path, 0], depth + 1));
  if (resolved.propertyNames && path.length > 0) found.push([...path, 'customfield_10042']);
  const unique = new Map(found.map((entry) => [JSON.stringify(entry), entry]));
  return [...unique.values()];
}

function setAt(target: Json, path: Path, value: Json): Json {
  const root = structuredClone(target ?? {});
  let current = root as Record<string | number, Json>;
  for (const [index, key] of path.entries()) {
    if (index === path.length - 1) {
      current[key] = value;
      break;
    }
    const next = current[key];
    if (next === undefined || next === null || typeof next !== 'object') current[key] = typeof path[index + 1] === 'number' ? [] : {};
    current = current[key] as Record<string | number, Json>;
  }
  return root;
}

const TABLES = ['organizations', 'users', 'connections', 'mappings', 'audit_cases', 'findings', 'tickets', 'pull_requests', 'audit_events', 'runs', 'run_chunks', 'job_records'];
/**
 * The audit trail records every outbound call, also those made while answering a 4xx (a Jira that
 * says the project does not exist), and records them asynchronously: those rows are not the
 * request's writes.
 */
const WHERE: Record<string, string> = { audit_events: " where action <> 'outbound.call'" };

describe('HTTP boundary fuzz: hostile values in every field of every route', () => {
  let fixture: JiraFixture;
  let baselines: Record<string, Json[]>;
  let pathValues: Record<string, string>;
  /** Connections are created in another organization, so they never become the tickets' default. */
  let otherOrg: { authorization: string };

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded');
    const inject = (method: 'GET' | 'POST', url: string, payload?: Json) =>
      fixture.service.app.inject({ method, url, headers: fixture.auth, ...(payload === undefined ? {} : { payload: payload as object }) });
    const vulnerability = {
      kind: 'vulnerability',
      title: 'lodash is vulnerable',
      severity: 'high',
      ecosystem: 'npm',
      package_name: 'lodash',
      current_version: '4.17.15',
      fixed_version: '4.17.21',
      cve_ids: ['CVE-2021-23337'],
      repo_url: 'https://github.com/acme/web',
      manifest_path: 'package.json',
    };
    const finding = (await inject('POST', '/api/v1/findings', { findings: [vulnerability] })).json().findings[0].id as string;
    const { caseId, violationIds } = await seedCase(fixture, 1);
    const ticket = await inject('POST', '/api/v1/tickets', { finding_id: finding, project_key: 'SEC', issue_type: 'Bug' });
    if (ticket.statusCode !== 201) throw new Error(`ticket not created: ${ticket.body}`);
    pathValues = {
      '/api/v1/findings/{id}': finding,
      '/api/v1/cases/{id}': caseId,
      '/api/v1/cases/{id}/violations': caseId,
      '/api/v1/connections/{id}': fixture.connectionId,
      '/api/v1/connections/{id}/test': fixture.connectionId,
      '/api/v1/connections/{id}/mappings': fixture.connectionId,
      '/api/v1/tickets/{id}': ticket.json().id,
      '/api/v1/tickets/{id}/comments': ticket.json().id,
      '/api/v1/tickets/{id}/sync': ticket.json().id,
      '/api/jira/tickets/{id}/sync': ticket.json().id,
    };
    otherOrg = { authorization: `Bearer ${await fixture.service.token({ subject: 'fuzz-admin', org: 'fuzz-other', roles: ['admin'] })}` };
    await fixture.service.app.inject({ method: 'GET', url: '/api/v1/connections', headers: otherOrg });
    const jira = fixture.jira;
    const options = { project_key: 'SEC', issue_type: 'Bug', dry_run: true };
    const seedItem = { id: 'vuln-1', package_name: 'lodash', ecosystem: 'npm', current_version: '4.17.15', fixed_version: '4.17.21', severity: 'high', cve_ids: ['CVE-2021-23337'] };
    baselines = {
      'POST /api/v1/findings': [{ findings: [vulnerability] }],
      'POST /api/v1/cases': [{ name: 'Audit', framework: 'FedRAMP', description: 'Yearly audit' }],
      'POST /api/v1/cases/{id}/violations': [{ violations: [{ title: 'Gap', severity: 'low', control_id: 'AC-2' }] }],
      'POST /api/v1/connections': [
        { provider: 'jira-server', name: 'Fuzz', site_url: jira.url, pat: 'pat-0123456789' },
        { provider: 'jira-cloud', name: 'Fuzz', site_url: jira.url, email: 'fuzz@example.com', api_token: 'token-0123456789' },
        { provider: 'github', name: 'Fuzz', token: 'ghp_0123456789' },
      ],
      'PUT /api/v1/connections/{id}/mappings': [{ kind: 'priority', source: 'critical', target: 'Highest' }],
      'POST /api/v1/tickets': [{ finding_id: finding, ...options }],
      'POST /api/v1/tickets/bulk': [{ finding_ids: [finding], ...options }],
      'POST /api/v1/tickets/{id}/comments': [{ text: 'Looked at it' }],
      'POST /api/jira/tickets': [{ violation_id: violationIds[0]!, ...options }],
      'POST /api/jira/tickets/bulk-create': [{ case_id: caseId, ...options }],
      'POST /internal/create-issues-and-prs': [{
        items: [seedItem],
        jira_issue_requests: [
          {
            jira_url: jira.url,
            jira_email: jira.credentials.email,
            jira_pat: jira.credentials.apiToken,
            fields: { project: { key: 'SEC' }, issuetype: { name: 'Bug' }, summary: 'Upgrade lodash' },
          },
        ],
        dry_run: true,
      }, {
        vulnerabilities: [{ ...seedItem, repo_url: 'https://github.com/acme/web', manifest_path: 'package.json' }],
        jira: { jira_url: jira.url, jira_email: jira.credentials.email, jira_pat: jira.credentials.apiToken, project_key: 'SEC' },
        github: { base_branch: 'main', github_pat: 'ghp_0123456789' },
        dry_run: true,
      }],
    };
  });
  afterAll(async () => {
    await fixture?.close();
  });

  async function counts(): Promise<Record<string, number>> {
    const [row] = await fixture.service.context.db.query<Record<string, string>>(
      `select ${TABLES.map((table) => `(select count(*) from ${table}${WHERE[table] ?? ''}) as ${table}`).join(', ')}`,
    );
    return Object.fromEntries(Object.entries(row ?? {}).map(([key, value]) => [key, Number(value)]));
  }

  it('never answers 5xx, keeps answering, and writes nothing on a 4xx', async () => {
    const document = (await fixture.service.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
      components?: { schemas?: Record<string, OpenApiSchema> };
    };
    const components = document.components?.schemas ?? {};
    const failures: string[] = [];
    let sent = 0;
    let routesWithInputs = 0;

    let before = await counts();
    async function send(method: string, route: string, url: string, body: Json | undefined, label: string): Promise<void> {
      const response = await fixture.service.app.inject({
        method: method.toUpperCase() as 'GET',
        url,
        headers: { ...(route === '/api/v1/connections' ? otherOrg : fixture.auth), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: serialize(body) }),
      });
      sent += 1;
      const where = `${method.toUpperCase()} ${route} ${label}`;
      const after = await counts();
      if (response.statusCode >= 500) failures.push(`${where} → ${response.statusCode} ${response.body.slice(0, 300)}`);
      else if (response.statusCode >= 400) {
        const error = (response.json() as { error?: { code?: string } }).error;
        if (!error?.code) failures.push(`${where} → ${response.statusCode} without the error shape: ${response.body.slice(0, 200)}`);
        const changed = TABLES.filter((table) => before[table] !== after[table]);
        if (changed.length > 0) failures.push(`${where} → ${response.statusCode} but wrote rows in ${changed.join(', ')}`);
      }
      before = after;
    }

    for (const [route, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const key = `${method.toUpperCase()} ${route}`;
        const parameters = operation.parameters ?? [];
        const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
        if (parameters.length === 0 && !bodySchema) continue;
        routesWithInputs += 1;
        const validPath = (pathValues[route] ?? '00000000-0000-4000-8000-000000000000') as string;
        /** The route's URL with valid path values, `name` replaced by `value` when given. */
        const urlWith = (query: string, name?: string, value?: string) =>
          route.replace(/\{([A-Za-z]+)\}/g, (_, param: string) =>
            encode(param === name ? (value ?? '') : param === 'id' ? validPath : '00000000-0000-4000-8000-000000000000'),
          ) + query;
        const variants = bodySchema ? (baselines[key] ?? [{}]) : [undefined];
        const baseline = variants[0];

        for (const parameter of parameters.filter((entry) => entry.in === 'path')) {
          for (const [label, raw] of valuesFor(parameter.name)) {
            const value = wire(raw);
            if (value === '') continue; // an empty segment is another route
            await send(method, route, urlWith('', parameter.name, value.slice(0, 2000)), baseline, `path ${parameter.name} = ${label}`);
          }
        }
        for (const parameter of parameters.filter((entry) => entry.in === 'query')) {
          for (const [label, raw] of valuesFor(parameter.name)) {
            await send(method, route, urlWith(`?${parameter.name}=${encode(wire(raw).slice(0, 4000))}`), baseline, `query ${parameter.name} = ${label}`);
          }
        }
        if (!bodySchema) continue;
        for (const [label, value] of valuesFor(undefined)) await send(method, route, urlWith(''), value, `whole body = ${label}`);
        // Each field once, in the first baseline that has its top-level key (the variant it belongs to).
        for (const path of fieldPaths(bodySchema, components)) {
          const variant = Math.max(0, variants.findIndex((body) => body !== null && typeof body === 'object' && String(path[0]) in body));
          const body = variants[variant] ?? {};
          for (const [label, value] of valuesFor(path.at(-1))) await send(method, route, urlWith(''), setAt(body, path, value), `body#${variant} ${path.join('.')} = ${label}`);
        }
      }
    }

    const health = await fixture.service.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(routesWithInputs).toBeGreaterThan(15);
    expect(sent).toBeGreaterThan(3000);
    expect(failures).toEqual([]);
  }, 240_000);
});
