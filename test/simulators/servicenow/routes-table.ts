/**
 * The Table API: `/api/now/table/{table}` (GET list, POST insert) and `/api/now/table/{table}/{sys_id}`
 * (GET, PUT, PATCH, DELETE), also under `/api/now/v1/` and `/api/now/v2/` (v1 answers an empty list with
 * 404, v2 and the unversioned path with `{"result":[]}`). `X-HTTP-Method-Override` on a POST selects the
 * method. Order of checks: authentication (401), the rate-limit rule (429), Accept/Content-Type (400
 * missing, 406/415 unsupported), the table (400 `Invalid table <name>`), the OAuth scope, the record
 * (404), the write ACL (403), the body (400).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { aclDetail, NO_RECORD, sendError, sendUnauthorized } from './errors.ts';
import type { OAuthState } from './oauth.ts';
import { parseEncodedQuery, runQuery, type ParsedQuery } from './query.ts';
import type { RateLimiter } from './rate-limit.ts';
import { displayMode, fieldsParam, renderRecord, type RenderOptions } from './render.ts';
import { type Account, type ServiceNowStore, type SnRecord, WriteRefused } from './store.ts';

export interface TableEnv {
  store: ServiceNowStore;
  oauth: OAuthState;
  limiter: RateLimiter;
  baseUrl(): string;
  settings: { invalidQueryReturnsNoRows: boolean };
  /** Requests whose JSON body did not parse (marked by the app's preValidation hook). */
  invalidJson: WeakSet<FastifyRequest>;
}

interface Caller {
  account: Account;
  /** null for Basic; the token's scopes for OAuth. */
  scopes: string[] | null;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function authenticate(env: TableEnv, request: FastifyRequest): Caller | null {
  const header = request.headers.authorization ?? '';
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const credential = header.slice(space + 1).trim();
  const usable = (account: Account | undefined): account is Account => {
    if (!account) return false;
    const user = env.store.find('sys_user', account.sysId);
    return user !== undefined && user.values.active !== 'false' && user.values.locked_out !== 'true';
  };
  if (scheme === 'basic') {
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const account = env.store.accounts.get(decoded.slice(0, colon));
    if (!usable(account) || account.password !== decoded.slice(colon + 1)) return null;
    return { account, scopes: null };
  }
  if (scheme === 'bearer') {
    const token = env.oauth.validate(credential);
    const account = token ? env.store.accounts.get(token.userName) : undefined;
    if (!token || !usable(account)) return null;
    return { account, scopes: token.scopes };
  }
  return null;
}

function mediaType(value: string | undefined): string {
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

function acceptsJson(accept: string): boolean {
  return accept
    .split(',')
    .map((part) => mediaType(part))
    .some((type) => type === 'application/json' || type === '*/*' || type === 'application/*' || type.endsWith('+json'));
}

function isJsonType(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

function query(request: FastifyRequest): Record<string, string> {
  const raw = request.query as Record<string, unknown>;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
}

function renderOptions(env: TableEnv, q: Record<string, string>): RenderOptions {
  return {
    base: env.baseUrl(),
    display: displayMode(q.sysparm_display_value),
    fields: fieldsParam(q.sysparm_fields),
    excludeReferenceLink: String(q.sysparm_exclude_reference_link ?? '').toLowerCase() === 'true',
  };
}

function canWrite(env: TableEnv, caller: Caller, table: string): boolean {
  const def = env.store.table(table);
  if (caller.account.roles.includes('admin')) return true;
  return Boolean(def?.writeRole && caller.account.roles.includes(def.writeRole));
}

/** OAuth scope gate: `useraccount` is full access; `ticket.read` reads, `ticket.write` reads and writes. */
function scopeAllows(caller: Caller, write: boolean): boolean {
  if (caller.scopes === null || caller.scopes.includes('useraccount')) return true;
  return write ? caller.scopes.includes('ticket.write') : caller.scopes.includes('ticket.read') || caller.scopes.includes('ticket.write');
}

function nonNegativeInt(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

function linkHeader(request: FastifyRequest, base: string, offset: number, limit: number, total: number): string {
  const at = (value: number): string => {
    const url = new URL(request.url, base);
    url.searchParams.set('sysparm_limit', String(limit));
    url.searchParams.set('sysparm_offset', String(value));
    return `<${url.toString()}>`;
  };
  const last = total === 0 ? 0 : Math.floor((total - 1) / limit) * limit;
  const links = [`${at(0)};rel="first"`];
  if (offset > 0) links.push(`${at(Math.max(0, offset - limit))};rel="prev"`);
  if (offset + limit < total) links.push(`${at(offset + limit)};rel="next"`);
  links.push(`${at(last)};rel="last"`);
  return links.join(',');
}

export function tableRoutes(app: FastifyInstance, env: TableEnv): void {
  const handle = (version: 'v1' | 'v2') => async (request: FastifyRequest, reply: FastifyReply) => {
    const { table, sys_id: sysId } = request.params as { table: string; sys_id?: string };
    const caller = authenticate(env, request);
    if (!caller) return sendUnauthorized(reply);

    const override = String(request.headers['x-http-method-override'] ?? '').toUpperCase();
    const method = request.method === 'POST' && ['GET', 'PUT', 'PATCH', 'DELETE'].includes(override) ? override : request.method;

    const verdict = env.limiter.check(caller.account.userName);
    if (verdict) {
      void reply.headers(verdict.headers);
      if (!verdict.allowed) return sendError(reply, 429, 'Rate limit exceeded', verdict.detail);
    }

    const accept = request.headers.accept;
    if (accept === undefined || accept.trim() === '') return sendError(reply, 400, 'Accept header is required', null);
    if (!acceptsJson(accept)) return sendError(reply, 406, 'Requested response format is not supported', `Accept: ${accept}`);
    if (WRITE_METHODS.has(method)) {
      const type = mediaType(request.headers['content-type']);
      if (type === '') return sendError(reply, 400, 'Content-Type header is required', null);
      if (!isJsonType(type)) return sendError(reply, 415, 'Unsupported Media Type', `Content-Type: ${request.headers['content-type']}`);
    }

    const def = env.store.table(table);
    if (!def) return sendError(reply, 400, `Invalid table ${table}`, null);
    const write = method !== 'GET';
    if (!scopeAllows(caller, write)) return sendError(reply, 403, 'User Not Authorized', 'Failed API level ACL Validation');
    const q = query(request);
    const options = renderOptions(env, q);
    const actor = caller.account.userName;
    const notSupported = (): FastifyReply => sendError(reply, 405, 'Method not Supported', `${method} is not supported on this resource`);

    const readBody = (): Record<string, unknown> | null => {
      if (env.invalidJson.has(request)) return null;
      const body = Array.isArray(request.body) ? request.body[0] : request.body;
      return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
    };
    const badBody = (): FastifyReply => sendError(reply, 400, 'Exception while reading request', 'Verify Request body and Content-type headers. Not able to parse request');
    const writeOptions = { inputDisplayValue: String(q.sysparm_input_display_value ?? '').toLowerCase() === 'true' };
    const refused = (error: unknown): FastifyReply => {
      if (error instanceof WriteRefused) return sendError(reply, error.status, error.message, error.detail);
      throw error;
    };

    if (sysId === undefined) {
      if (method === 'GET') {
        let parsed: ParsedQuery;
        if (q.sysparm_query !== undefined && q.sysparm_query !== '') {
          parsed = parseEncodedQuery(env.store, table, q.sysparm_query);
        } else {
          // Plain `field=value` parameters filter too (mutually exclusive with sysparm_query).
          const plain = Object.entries(q)
            .filter(([k]) => !k.startsWith('sysparm_') && def.fields.has(k))
            .map(([k, v]) => `${k}=${v.replace(/\^/g, '^^')}`)
            .join('^');
          parsed = parseEncodedQuery(env.store, table, plain);
        }
        const rows = runQuery(env.store, table, parsed, env.settings.invalidQueryReturnsNoRows);
        const limit = nonNegativeInt(q.sysparm_limit, 10000) || 10000;
        const offset = nonNegativeInt(q.sysparm_offset, 0);
        const page = rows.slice(offset, offset + limit);
        if (String(q.sysparm_no_count ?? '').toLowerCase() !== 'true') void reply.header('x-total-count', String(rows.length));
        if (String(q.sysparm_suppress_pagination_header ?? '').toLowerCase() !== 'true') {
          void reply.header('link', linkHeader(request, env.baseUrl(), offset, limit, rows.length));
        }
        if (page.length === 0 && version === 'v1') {
          return sendError(reply, 404, 'No Record found', 'Records matching query not found. Check query parameter or offset parameter');
        }
        return reply.type('application/json;charset=UTF-8').send({ result: page.map((r) => renderRecord(env.store, r, options)) });
      }
      if (method !== 'POST') return notSupported();
      if (!canWrite(env, caller, table)) return sendError(reply, 403, 'Operation Failed', aclDetail('Insert'));
      const body = readBody();
      if (!body) return badBody();
      let record: SnRecord;
      try {
        record = env.store.write(table, null, body, actor, writeOptions).record;
      } catch (error) {
        return refused(error);
      }
      return reply
        .code(201)
        .header('location', `${env.baseUrl()}/api/now/table/${table}/${record.values.sys_id}`)
        .type('application/json;charset=UTF-8')
        .send({ result: renderRecord(env.store, record, options) });
    }

    if (method === 'POST') return notSupported();
    const record = env.store.records.get(table)?.get(sysId);
    if (!record) return sendError(reply, 404, NO_RECORD.message, NO_RECORD.detail);
    if (method === 'GET') return reply.type('application/json;charset=UTF-8').send({ result: renderRecord(env.store, record, options) });
    if (method === 'DELETE') {
      if (!canWrite(env, caller, table)) return sendError(reply, 403, 'Operation Failed', aclDetail('Delete'));
      env.store.remove(table, record);
      return reply.code(204).send();
    }
    if (!canWrite(env, caller, table)) return sendError(reply, 403, 'Operation Failed', aclDetail('Update'));
    const body = readBody();
    if (!body) return badBody();
    try {
      env.store.write(table, record, body, actor, writeOptions);
    } catch (error) {
      return refused(error);
    }
    return reply.type('application/json;charset=UTF-8').send({ result: renderRecord(env.store, record, options) });
  };

  const methods: ('GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE')[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
  for (const [prefix, version] of [
    ['/api/now/table', 'v2'],
    ['/api/now/v2/table', 'v2'],
    ['/api/now/v1/table', 'v1'],
  ] as const) {
    app.route({ method: methods, url: `${prefix}/:table`, handler: handle(version) });
    app.route({ method: methods, url: `${prefix}/:table/:sys_id`, handler: handle(version) });
  }
}
