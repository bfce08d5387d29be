/**
 * Search. Cloud: `/rest/api/3/search/jql` (GET and POST) with `nextPageToken`, default `fields=id`,
 * bounded JQL only, `reconcileIssues` for read-after-write, and the old `/search` answering 410 as after
 * CHANGE-2046. Server/DC: the classic `/rest/api/2/search` with `startAt`/`total`. Both read the lagging
 * search index from the store, so a fresh issue is missing until the lag passes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type RouteEnv, renderContext, scope } from './env.ts';
import { fail } from './errors.ts';
import { queryInt, queryList, queryString } from './http.ts';
import { JqlError, parseJql } from './jql.ts';
import { compileQuery } from './jql-eval.ts';
import type { Issue } from './model.ts';
import { renderIssue } from './render.ts';

const REMOVED_V3 =
  'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046';
const REMOVED_V2 =
  'The requested API has been removed. Please use the newer, enhanced search-based API instead. Deprecation details are available at https://developer.atlassian.com/changelog/#CHANGE-2046';
const UNBOUNDED = 'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.';

interface SearchParams {
  jql: string;
  fields?: string[];
  expand?: string[];
  properties?: string[];
  reconcileIssues?: string[];
}

function run(env: RouteEnv, request: FastifyRequest, params: SearchParams, requireBounded: boolean): Issue[] {
  const actor = env.actor(request);
  try {
    const query = parseJql(params.jql);
    const compiled = compileQuery(
      { store: env.store, flavor: env.flavor, user: actor, now: env.store.now(), indexedProperties: env.indexedProperties },
      query,
    );
    if (requireBounded && !compiled.bounded) fail(400, [UNBOUNDED]);
    const reconcile = new Set(params.reconcileIssues ?? []);
    return env.store
      .searchable(reconcile)
      .filter((issue) => env.store.canSee(actor, env.store.projectOf(issue).key))
      .filter(compiled.filter)
      .sort(compiled.compare);
  } catch (error) {
    if (error instanceof JqlError) fail(400, [error.message]);
    throw error;
  }
}

/** Render with live data when the issue still exists (search matched on the index snapshot). */
function renderHits(env: RouteEnv, request: FastifyRequest, hits: Issue[], params: SearchParams, fallback: string[]): unknown[] {
  const ctx = renderContext(env, request);
  return hits.map((hit) => {
    const rendered = renderIssue(ctx, env.store.issues.get(hit.id) ?? hit, { fields: params.fields, fallback, expand: params.expand });
    if (params.properties && params.properties.length > 0) {
      rendered.properties = Object.fromEntries(params.properties.filter((k) => k in hit.properties).map((k) => [k, hit.properties[k]]));
    }
    return rendered;
  });
}

function encodeToken(offset: number, jql: string): string {
  return Buffer.from(JSON.stringify({ o: offset, q: jql })).toString('base64url');
}

function decodeToken(token: string, jql: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; q?: unknown };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0 && parsed.q === jql) return parsed.o;
  } catch {
    // fall through
  }
  fail(400, ['Invalid format of nextPageToken']);
}

function asList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String);
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function cloudSearchRoutes(app: FastifyInstance, env: RouteEnv): void {
  const handler = (request: FastifyRequest, source: 'query' | 'body') => {
    const input =
      source === 'query'
        ? {
            jql: queryString(request, 'jql'),
            nextPageToken: queryString(request, 'nextPageToken'),
            maxResults: queryInt(request, 'maxResults', 50),
            fields: queryList(request, 'fields'),
            expand: queryList(request, 'expand'),
            properties: queryList(request, 'properties'),
            reconcileIssues: queryList(request, 'reconcileIssues'),
          }
        : (() => {
            const body = (request.body ?? {}) as Record<string, unknown>;
            return {
              jql: typeof body.jql === 'string' ? body.jql : undefined,
              nextPageToken: typeof body.nextPageToken === 'string' ? body.nextPageToken : undefined,
              maxResults: typeof body.maxResults === 'number' ? body.maxResults : 50,
              fields: asList(body.fields),
              expand: asList(body.expand),
              properties: asList(body.properties),
              reconcileIssues: asList(body.reconcileIssues),
            };
          })();
    const jql = input.jql ?? '';
    if ((input.properties?.length ?? 0) > 5) fail(400, ['The number of properties must not exceed 5.']);
    if ((input.reconcileIssues?.length ?? 0) > 50) fail(400, ['The number of reconcileIssues must not exceed 50.']);
    if (input.reconcileIssues?.some((id) => !/^\d+$/.test(id))) fail(400, ['reconcileIssues must contain issue ids (numbers).']);
    const offset = input.nextPageToken ? decodeToken(input.nextPageToken, jql) : 0;
    const onlyIds = !input.fields || input.fields.every((f) => f === 'id' || f === 'key');
    // Up to 5000 per page when only ids are asked for; smaller pages with real field data.
    const cap = onlyIds ? 5000 : 100;
    const pageSize = Math.max(1, Math.min(input.maxResults, cap));
    const hits = run(env, request, { ...input, jql }, true);
    const page = hits.slice(offset, offset + pageSize);
    const isLast = offset + pageSize >= hits.length;
    return {
      issues: renderHits(env, request, page, { ...input, jql }, ['id']),
      ...(isLast ? {} : { nextPageToken: encodeToken(offset + pageSize, jql) }),
      isLast,
    };
  };
  app.get('/rest/api/3/search/jql', scope('read'), async (request) => handler(request, 'query'));
  app.post('/rest/api/3/search/jql', scope('read'), async (request) => handler(request, 'body'));
  app.post('/rest/api/3/search/approximate-count', scope('read'), async (request) => {
    const jql = String((request.body as { jql?: unknown } | null)?.jql ?? '');
    return { count: run(env, request, { jql }, true).length };
  });
  for (const path of ['/rest/api/3/search', '/rest/api/2/search', '/rest/api/3/search/id']) {
    const message = path.includes('/2/') ? REMOVED_V2 : REMOVED_V3;
    app.get(path, async (_request, reply) => reply.code(410).send({ errorMessages: [message], errors: {} }));
    app.post(path, async (_request, reply) => reply.code(410).send({ errorMessages: [message], errors: {} }));
  }
}

export function serverSearchRoutes(app: FastifyInstance, env: RouteEnv, maxResultsCap: number): void {
  const handler = (request: FastifyRequest, source: 'query' | 'body') => {
    const body = (source === 'body' ? (request.body ?? {}) : {}) as Record<string, unknown>;
    const jql = source === 'query' ? (queryString(request, 'jql') ?? '') : typeof body.jql === 'string' ? body.jql : '';
    const startAt = source === 'query' ? queryInt(request, 'startAt', 0) : typeof body.startAt === 'number' ? body.startAt : 0;
    const requested = source === 'query' ? queryInt(request, 'maxResults', 50) : typeof body.maxResults === 'number' ? body.maxResults : 50;
    const fields = source === 'query' ? queryList(request, 'fields') : asList(body.fields);
    const expand = source === 'query' ? queryList(request, 'expand') : asList(body.expand);
    if (startAt < 0) fail(400, ["'startAt' must be a non-negative number."]);
    const maxResults = Math.max(0, Math.min(requested, maxResultsCap));
    const hits = run(env, request, { jql }, false);
    return {
      expand: 'names,schema',
      startAt,
      maxResults,
      total: hits.length,
      issues: renderHits(env, request, hits.slice(startAt, startAt + maxResults), { jql, fields, expand }, ['*navigable']),
    };
  };
  app.get('/rest/api/2/search', scope('read'), async (request) => handler(request, 'query'));
  app.post('/rest/api/2/search', scope('read'), async (request) => handler(request, 'body'));
}
