/**
 * Confluence Cloud REST v2 (pages in storage format), for publishing a page and updating it in
 * place. The base is the site URL (API token, Basic) or the OAuth gateway
 * `{ATLASSIAN_API_URL}/ex/confluence/{cloudId}` (bearer): both serve `/wiki/api/v2/...`. The client
 * asks its credential source for the credential at each call and, after a 401, once whether a
 * refresh cures it. Updates send version n+1 of the version just read; a 409 (someone edited the page
 * meanwhile) re-reads the page and retries once.
 */
import { AppError } from '../../errors/app-error.ts';
import type { ErrorCode } from '../../errors/catalogue.ts';
import { type OutboundClient, OutboundError, type OutboundResponse } from '../../http-client/index.ts';
import { authorizationOf, type CredentialSource } from '../credentials/index.ts';

export interface ConfluenceTarget {
  /** Site URL or gateway base, without `/wiki`. */
  baseUrl: string;
  credentials: CredentialSource;
  connectionId: string;
  orgId: string;
}

export interface ConfluencePage {
  id: string;
  title: string;
  spaceId: string;
  version: number;
  /** The page's web link (absolute when the answer says where the site is). */
  url: string | null;
}

export interface PublishInput {
  spaceKey: string;
  title: string;
  /** Confluence storage format (XHTML). */
  storage: string;
  /** The page published last time, updated in place when it still exists. */
  pageId?: string | null;
  versionMessage?: string;
}

export interface PublishResult {
  page: ConfluencePage;
  created: boolean;
  /** Versions that were taken by someone else's edit on the way (0 or 1). */
  conflicts: number;
}

function failure(status: number, body: string, what: string): AppError {
  let message: string;
  try {
    const parsed = JSON.parse(body) as { message?: unknown; errors?: { title?: unknown }[] };
    message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.errors?.[0]?.title === 'string' ? (parsed.errors[0].title as string) : '';
  } catch {
    message = '';
  }
  const said = message ? `: ${message}` : '';
  const code: ErrorCode =
    status === 401 ? 'PROVIDER_AUTH_FAILED' : status === 403 ? 'PROVIDER_FORBIDDEN' : status === 404 ? 'NOT_FOUND' : status === 409 ? 'PROVIDER_CONFLICT' : status === 429 ? 'PROVIDER_RATE_LIMITED' : status === 400 ? 'VALIDATION_FAILED' : 'PROVIDER_UNAVAILABLE';
  return new AppError(code, `Confluence answered ${status} to ${what}${said}`);
}

export function createConfluenceClient(target: ConfluenceTarget, deps: { http: OutboundClient; timeoutMs?: number }) {
  const api = `${target.baseUrl.replace(/\/+$/, '')}/wiki/api/v2`;

  async function call(method: string, path: string, body?: object): Promise<OutboundResponse> {
    let credential = await target.credentials.current();
    for (let attempt = 0; ; attempt += 1) {
      let response: OutboundResponse;
      try {
        response = await deps.http.request({
          method,
          url: `${api}${path}`,
          headers: { authorization: authorizationOf(credential), accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body } : {}),
          context: { provider: 'confluence', connectionId: target.connectionId, orgId: target.orgId },
          ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}),
        });
      } catch (error) {
        if (error instanceof OutboundError) throw new AppError('PROVIDER_UNREACHABLE', `Confluence could not be reached: ${error.message}`, { cause: error });
        throw error;
      }
      if (response.status !== 401 || attempt > 0) return response;
      const renewed = await target.credentials.renewAfterRejection(credential);
      if (!renewed) return response;
      credential = renewed;
    }
  }

  function pageOf(json: Record<string, unknown>): ConfluencePage {
    const version = json.version as { number?: unknown } | undefined;
    const links = json._links as { webui?: unknown; base?: unknown } | undefined;
    const webui = typeof links?.webui === 'string' ? links.webui : null;
    const base = typeof links?.base === 'string' ? links.base : null;
    return {
      id: String(json.id),
      title: String(json.title ?? ''),
      spaceId: String(json.spaceId ?? ''),
      version: typeof version?.number === 'number' ? version.number : 1,
      url: webui ? (base ? `${base}${webui}` : webui) : null,
    };
  }

  async function spaceId(spaceKey: string): Promise<string> {
    const response = await call('GET', `/spaces?keys=${encodeURIComponent(spaceKey)}`);
    if (response.status !== 200) throw failure(response.status, response.body, `the space lookup for ${spaceKey}`);
    const [space] = response.json<{ results?: { id: unknown }[] }>().results ?? [];
    if (!space) throw new AppError('NOT_FOUND', `Confluence has no space ${spaceKey} (or this account cannot see it)`, { field: 'space_key' });
    return String(space.id);
  }

  async function getPage(id: string): Promise<ConfluencePage | null> {
    const response = await call('GET', `/pages/${encodeURIComponent(id)}`);
    if (response.status === 404) return null;
    if (response.status !== 200) throw failure(response.status, response.body, `reading page ${id}`);
    const page = pageOf(response.json());
    return page;
  }

  async function findByTitle(space: string, title: string): Promise<ConfluencePage | null> {
    const response = await call('GET', `/spaces/${encodeURIComponent(space)}/pages?title=${encodeURIComponent(title)}`);
    if (response.status !== 200) throw failure(response.status, response.body, 'the page lookup by title');
    const [found] = response.json<{ results?: Record<string, unknown>[] }>().results ?? [];
    return found ? pageOf(found) : null;
  }

  async function update(page: ConfluencePage, input: PublishInput): Promise<OutboundResponse> {
    return call('PUT', `/pages/${encodeURIComponent(page.id)}`, {
      id: page.id,
      status: 'current',
      title: input.title,
      body: { representation: 'storage', value: input.storage },
      version: { number: page.version + 1, message: input.versionMessage ?? '' },
    });
  }

  return {
    spaceId,
    getPage,
    /** One authenticated read (the first space): throws the mapped error when the access does not work. */
    async ping(): Promise<{ spaces: number }> {
      const response = await call('GET', '/spaces?limit=1');
      if (response.status !== 200) throw failure(response.status, response.body, 'listing spaces');
      return { spaces: (response.json<{ results?: unknown[] }>().results ?? []).length };
    },
    /**
     * Creates the page, or updates the one published before (by id, else the page of that title in
     * the space: titles are unique per space) to version n+1; one re-read and retry after a 409.
     */
    async publish(input: PublishInput): Promise<PublishResult> {
      const space = await spaceId(input.spaceKey);
      let existing = input.pageId ? await getPage(input.pageId) : null;
      if (existing && existing.spaceId && existing.spaceId !== space) existing = null;
      existing ??= await findByTitle(space, input.title);
      if (!existing) {
        const response = await call('POST', '/pages', { spaceId: space, status: 'current', title: input.title, body: { representation: 'storage', value: input.storage } });
        if (response.status !== 200 && response.status !== 201) throw failure(response.status, response.body, 'creating the page');
        return { page: pageOf(response.json()), created: true, conflicts: 0 };
      }
      let conflicts = 0;
      let response = await update(existing, input);
      if (response.status === 409) {
        // Someone saved a version since we read it: read the current number and try once more.
        conflicts += 1;
        const current = await getPage(existing.id);
        if (!current) throw new AppError('NOT_FOUND', `the Confluence page ${existing.id} disappeared while it was being updated`);
        response = await update(current, input);
      }
      if (response.status !== 200) throw failure(response.status, response.body, `updating page ${existing.id}`);
      return { page: pageOf(response.json()), created: false, conflicts };
    },
  };
}

export type ConfluenceClient = ReturnType<typeof createConfluenceClient>;
