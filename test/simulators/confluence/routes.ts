/**
 * Confluence Cloud REST v2 routes (`/wiki/api/v2/...`), mounted at the site URL and under the gateway
 * prefix `/ex/confluence/{cloudId}`. Shapes follow the v2 OpenAPI document: cursor paging with
 * `_links.next` and a `Link` header (`rel="next"`, `rel="base"`), page create answered with 200, update
 * requiring id, status, title, body and `version.number` = current + 1. Errors use the v2 envelope
 * `{"errors":[{"status","code","title","detail"}]}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, type ConfluenceAuthOptions, type ScopeNeed } from './auth.ts';
import { checkAdf, checkStorage, render, wikiToStorage } from './bodies.ts';
import { type ConfluenceStore, createPage, currentVersion, type PageRecord, type PageStatus, type PageVersion, type Representation, type SpaceRecord, titleTaken } from './store.ts';

export class ConfluenceError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, code: string, title: string) {
    super(title);
    this.status = status;
    this.body = { errors: [{ status, code, title, detail: null }] };
  }
}

const badRequest = (title: string) => new ConfluenceError(400, 'INVALID_REQUEST_PARAMETER', title);
const notFound = (title = 'Not Found') => new ConfluenceError(404, 'NOT_FOUND', title);

export const DUPLICATE_TITLE = 'A page with this title already exists: A page already exists with the same TITLE in this space';

export interface RouteContext {
  store: ConfluenceStore;
  auth: ConfluenceAuthOptions;
  /** The site URL (`https://<site>.atlassian.net` in production). */
  siteUrl(): string;
}

const PREFIX = '/wiki/api/v2';

function guard(ctx: RouteContext, gateway: boolean, need: ScopeNeed) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const outcome = authenticate(ctx.auth, request, gateway, need);
    if (!outcome.ok) return outcome.send(reply);
    (request as FastifyRequest & { accountId?: string }).accountId = outcome.accountId;
    return undefined;
  };
}

const accountOf = (request: FastifyRequest): string => (request as FastifyRequest & { accountId?: string }).accountId ?? '';

function limitOf(query: Record<string, string | undefined>): number {
  if (query.limit === undefined) return 25;
  const limit = Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 250) throw badRequest(`Invalid value for limit: must be between 1 and 250, was ${query.limit}`);
  return limit;
}

const list = (value: string | undefined): string[] => (value ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');

function encodeCursor(afterId: string): string {
  return Buffer.from(JSON.stringify({ after: afterId })).toString('base64url');
}

function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  try {
    const after = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown }).after;
    if (typeof after === 'string' && /^\d+$/.test(after)) return after;
  } catch {
    // fall through
  }
  throw badRequest('Invalid cursor');
}

/** One page of `items` (sorted by numeric id) after the cursor, with `_links` and the Link header. */
function pageOf<T extends { id: string }>(ctx: RouteContext, request: FastifyRequest, reply: FastifyReply, items: T[], path: string): { page: T[]; links: { next?: string; base: string } } {
  const query = request.query as Record<string, string | undefined>;
  const limit = limitOf(query);
  const after = decodeCursor(query.cursor);
  const sorted = [...items].sort((a, b) => Number(a.id) - Number(b.id));
  const rest = after === null ? sorted : sorted.filter((item) => Number(item.id) > Number(after));
  const page = rest.slice(0, limit);
  const base = `${ctx.siteUrl()}/wiki`;
  const links: { next?: string; base: string } = { base };
  const headers: string[] = [];
  if (rest.length > limit && page.length > 0) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (key !== 'cursor' && value !== undefined) params.set(key, value);
    params.set('cursor', encodeCursor(page[page.length - 1]!.id));
    // Relative to the site, without the gateway prefix, as the v2 API writes it.
    links.next = `${PREFIX}${path}?${params}`;
    headers.push(`<${links.next}>; rel="next"`);
  }
  headers.push(`<${base}>; rel="base"`);
  reply.header('link', headers.join(', '));
  return { page, links };
}

function spaceJson(space: SpaceRecord, descriptionFormat?: string) {
  return {
    id: space.id,
    key: space.key,
    name: space.name,
    type: space.type,
    status: space.status,
    authorId: space.authorId,
    createdAt: space.createdAt,
    homepageId: space.homepageId,
    description: descriptionFormat === 'plain' || descriptionFormat === 'view' ? { [descriptionFormat]: { representation: descriptionFormat, value: space.description } } : null,
    icon: null,
    _links: { webui: `/spaces/${space.key}` },
  };
}

function versionJson(version: PageVersion) {
  return { createdAt: version.createdAt, message: version.message, number: version.number, minorEdit: version.minorEdit, authorId: version.authorId };
}

function pageJson(ctx: RouteContext, page: PageRecord, options: { bodyFormat?: string; version?: PageVersion; base?: boolean; includeVersion?: boolean }) {
  const version = options.version ?? currentVersion(page);
  const space = ctx.store.spaces.find((s) => s.id === page.spaceId);
  const json: Record<string, unknown> = {
    id: page.id,
    status: page.status,
    title: version.title,
    spaceId: page.spaceId,
    parentId: page.parentId,
    parentType: page.parentId ? 'page' : null,
    position: null,
    authorId: page.authorId,
    ownerId: page.ownerId,
    lastOwnerId: null,
    createdAt: page.createdAt,
    body: options.bodyFormat ? { [options.bodyFormat]: render(version.body, options.bodyFormat) } : {},
    _links: {
      webui: `/spaces/${space?.key ?? ''}/pages/${page.id}/${encodeURIComponent(version.title.replace(/ /g, '+'))}`,
      editui: `/pages/resumedraft.action?draftId=${page.id}`,
      tinyui: `/x/${Buffer.from(page.id).toString('base64url')}`,
      ...(options.base ? { base: `${ctx.siteUrl()}/wiki` } : {}),
    },
  };
  if (options.includeVersion !== false) json.version = versionJson(version);
  return json;
}

const BODY_FORMATS = new Set(['storage', 'atlas_doc_format', 'view', 'export_view', 'anonymous_export_view', 'styled_view', 'editor']);

function bodyFormatOf(query: Record<string, string | undefined>, bulk: boolean): string | undefined {
  const format = query['body-format'];
  if (format === undefined) return undefined;
  if (bulk ? format !== 'storage' && format !== 'atlas_doc_format' : !BODY_FORMATS.has(format)) throw badRequest(`Invalid value for body-format: ${format}`);
  return format;
}

function objectBody(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('Request body is missing or is not a JSON object');
  return body as Record<string, unknown>;
}

/** Validates a write body and returns it as stored (wiki markup is converted to storage). */
function writeBody(value: unknown): { representation: Representation; value: string } {
  const body = objectBody(value);
  const representation = body.representation;
  if (representation !== 'storage' && representation !== 'atlas_doc_format' && representation !== 'wiki') throw badRequest('body.representation must be one of storage, atlas_doc_format, wiki');
  if (typeof body.value !== 'string') throw badRequest('body.value must be a string');
  if (representation === 'storage') {
    const problem = checkStorage(body.value);
    if (problem) throw badRequest(`Error parsing xhtml: ${problem}`);
    return { representation, value: body.value };
  }
  if (representation === 'atlas_doc_format') {
    const problem = checkAdf(body.value);
    if (problem) throw badRequest(problem);
    return { representation, value: body.value };
  }
  return { representation: 'storage', value: wikiToStorage(body.value) };
}

function pageOrThrow(ctx: RouteContext, id: string, statuses: PageStatus[] = ['current', 'archived', 'draft']): PageRecord {
  if (!/^\d+$/.test(id)) throw badRequest(`Invalid value for id: ${id} is not a number`);
  const page = ctx.store.pages.get(id);
  if (!page || !statuses.includes(page.status)) throw notFound();
  return page;
}

export function registerRoutes(api: FastifyInstance, ctx: RouteContext, gateway: boolean): void {
  const read = (need: ScopeNeed) => ({ preHandler: guard(ctx, gateway, need) });

  api.get('/spaces', read('read-space'), async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const ids = list(query.ids);
    const keys = list(query.keys);
    if (ids.length > 250 || keys.length > 250) throw badRequest('Too many ids or keys: at most 250');
    const spaces = ctx.store.spaces.filter(
      (s) => (ids.length === 0 || ids.includes(s.id)) && (keys.length === 0 || keys.includes(s.key)) && (!query.type || s.type === query.type) && (!query.status || s.status === query.status),
    );
    const { page, links } = pageOf(ctx, request, reply, spaces, '/spaces');
    return { results: page.map((s) => spaceJson(s, query['description-format'])), _links: links };
  });

  api.get('/spaces/:id', read('read-space'), async (request) => {
    const { id } = request.params as { id: string };
    const space = ctx.store.spaces.find((s) => s.id === id);
    if (!space) throw notFound();
    return spaceJson(space, (request.query as Record<string, string | undefined>)['description-format']);
  });

  api.get('/pages', read('read-page'), async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const bodyFormat = bodyFormatOf(query, true);
    const spaceIds = list(query['space-id']);
    const ids = list(query.id);
    const statuses = list(query.status).length > 0 ? list(query.status) : ['current', 'archived'];
    const pages = [...ctx.store.pages.values()].filter(
      (p) =>
        (spaceIds.length === 0 || spaceIds.includes(p.spaceId)) &&
        (ids.length === 0 || ids.includes(p.id)) &&
        statuses.includes(p.status) &&
        (query.title === undefined || currentVersion(p).title === query.title),
    );
    const { page, links } = pageOf(ctx, request, reply, pages, '/pages');
    return { results: page.map((p) => pageJson(ctx, p, { bodyFormat })), _links: links };
  });

  api.get('/spaces/:id/pages', read('read-page'), async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!ctx.store.spaces.some((s) => s.id === id)) throw notFound();
    const query = request.query as Record<string, string | undefined>;
    const bodyFormat = bodyFormatOf(query, true);
    const pages = [...ctx.store.pages.values()].filter((p) => p.spaceId === id && p.status === 'current' && (query.title === undefined || currentVersion(p).title === query.title));
    const { page, links } = pageOf(ctx, request, reply, pages, `/spaces/${id}/pages`);
    return { results: page.map((p) => pageJson(ctx, p, { bodyFormat })), _links: links };
  });

  api.get('/pages/:id', read('read-page'), async (request) => {
    const { id } = request.params as { id: string };
    const query = request.query as Record<string, string | undefined>;
    const wanted = list(query.status) as PageStatus[];
    const page = pageOrThrow(ctx, id, wanted.length > 0 ? wanted : ['current', 'archived', 'draft']);
    let version: PageVersion | undefined;
    if (query.version !== undefined) {
      version = page.versions.find((v) => String(v.number) === query.version);
      if (!version) throw notFound();
    }
    return pageJson(ctx, page, { bodyFormat: bodyFormatOf(query, false), version, base: true, includeVersion: query['include-version'] !== 'false' });
  });

  api.post('/pages', read('write-page'), async (request) => {
    const body = objectBody(request.body);
    if (typeof body.spaceId !== 'string' && typeof body.spaceId !== 'number') throw badRequest('spaceId is required');
    const spaceId = String(body.spaceId);
    const status = body.status ?? 'current';
    if (status !== 'current' && status !== 'draft') throw badRequest(`Invalid value for status: ${String(status)}`);
    const title = typeof body.title === 'string' ? body.title.trim() : '';
    if (status === 'current' && title === '') throw badRequest('Title is required for a published page');
    if (title.length > 255) throw badRequest('Title cannot be longer than 255 characters');
    const space = ctx.store.spaces.find((s) => s.id === spaceId);
    if (!space) throw notFound(`No space found with id ${spaceId}`);
    const rootLevel = (request.query as Record<string, string | undefined>)['root-level'] === 'true';
    let parentId: string | null = rootLevel ? null : space.homepageId;
    if (body.parentId !== undefined && body.parentId !== null) {
      if (rootLevel) throw badRequest('parentId may not be supplied with root-level=true');
      const parent = ctx.store.pages.get(String(body.parentId));
      if (!parent || parent.spaceId !== space.id || parent.status === 'trashed' || parent.status === 'deleted') throw notFound(`No parent page found with id ${String(body.parentId)}`);
      parentId = parent.id;
    }
    if (status === 'current' && titleTaken(ctx.store, space.id, title)) throw badRequest(DUPLICATE_TITLE);
    const stored = body.body === undefined ? { representation: 'storage' as const, value: '' } : writeBody(body.body);
    const page = createPage(ctx.store, { spaceId: space.id, title, body: stored, authorId: accountOf(request), parentId, status });
    return pageJson(ctx, page, { bodyFormat: stored.representation, base: true });
  });

  api.put('/pages/:id', read('write-page'), async (request, reply) => {
    const { id } = request.params as { id: string };
    const body = objectBody(request.body);
    const missing = ['id', 'status', 'title', 'body', 'version'].filter((k) => body[k] === undefined || body[k] === null);
    if (missing.length > 0) throw badRequest(`Missing required field(s): ${missing.join(', ')}`);
    if (String(body.id) !== id) throw badRequest('The id in the body does not match the id in the path');
    if (body.status !== 'current' && body.status !== 'draft') throw badRequest(`Invalid value for status: ${String(body.status)}`);
    const page = pageOrThrow(ctx, id);
    if (body.spaceId !== undefined && String(body.spaceId) !== page.spaceId) throw badRequest('Moving a page to a different space is not supported');
    const version = body.version as { number?: unknown; message?: unknown; minorEdit?: unknown };
    const current = currentVersion(page);
    if (typeof version !== 'object' || typeof version.number !== 'number' || version.number !== current.number + 1) {
      const provided = typeof version === 'object' && version !== null ? String(version.number) : 'null';
      const error = new ConfluenceError(409, 'CONFLICT', `Version must be incremented when updating a page. Current Version: [${current.number}]. Provided version: [${provided}]`);
      return reply.code(error.status).send(error.body);
    }
    const title = typeof body.title === 'string' ? body.title.trim() : '';
    if (title === '') throw badRequest('Title is required');
    if (title.length > 255) throw badRequest('Title cannot be longer than 255 characters');
    if (titleTaken(ctx.store, page.spaceId, title, page.id)) throw badRequest(DUPLICATE_TITLE);
    if (body.parentId !== undefined && body.parentId !== null) {
      const parent = ctx.store.pages.get(String(body.parentId));
      if (!parent || parent.spaceId !== page.spaceId || parent.id === page.id) throw notFound(`No parent page found with id ${String(body.parentId)}`);
      page.parentId = parent.id;
    }
    const stored = writeBody(body.body);
    page.title = title;
    page.status = body.status;
    page.versions.push({
      number: version.number,
      message: typeof version.message === 'string' ? version.message : '',
      minorEdit: version.minorEdit === true,
      authorId: accountOf(request),
      createdAt: ctx.store.now(),
      title,
      body: stored,
    });
    return pageJson(ctx, page, { bodyFormat: stored.representation, base: true });
  });

  api.delete('/pages/:id', read('delete-page'), async (request, reply) => {
    const { id } = request.params as { id: string };
    const purge = (request.query as Record<string, string | undefined>).purge === 'true';
    const page = pageOrThrow(ctx, id, purge ? ['trashed'] : ['current', 'archived', 'draft']);
    if (purge) ctx.store.pages.delete(page.id);
    else page.status = 'trashed';
    return reply.code(204).send();
  });
}

export function registerApi(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const mount = (gateway: boolean) => async (api: FastifyInstance) => registerRoutes(api, ctx, gateway);
  return (async () => {
    await app.register(mount(false), { prefix: PREFIX });
    await app.register(mount(true), { prefix: `/ex/confluence/:cloudId${PREFIX}` });
  })();
}
