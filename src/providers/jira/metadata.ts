/**
 * Read-only site metadata: the project, the create screen of an issue type (cached in SharedState,
 * since every create would otherwise fetch it), priorities, the current user and user lookup by e-mail,
 * and the site's status, priority and issue type names for checking mapping values (cached briefly).
 */
import { JIRA_FIELD_REJECTED, JIRA_PROJECT_NOT_FOUND, JiraError } from './errors.ts';
import type { JiraTransport } from './transport.ts';
import type { CreateField, JiraUserRef } from './types.ts';

type RawField = {
  fieldId?: string;
  key?: string;
  name?: string;
  required?: boolean;
  hasDefaultValue?: boolean;
  schema?: CreateField['schema'];
  allowedValues?: { id?: unknown; name?: unknown; value?: unknown }[];
};

const PAGE = 200;

/** Both page shapes: Cloud `{issueTypes|fields, total}`, Server `{values, isLast}`. */
async function allPages<T>(transport: JiraTransport, path: string, listKey: string, subject: Parameters<JiraTransport['call']>[0]['subject']): Promise<T[]> {
  const out: T[] = [];
  for (let startAt = 0; ; ) {
    const page = await transport.json<Record<string, unknown>>({ method: 'GET', path, query: { startAt, maxResults: PAGE }, subject });
    const list = (Array.isArray(page[listKey]) ? page[listKey] : Array.isArray(page.values) ? page.values : []) as T[];
    out.push(...list);
    startAt += list.length;
    const total = typeof page.total === 'number' ? page.total : undefined;
    if (list.length === 0 || page.isLast === true || (total !== undefined && startAt >= total)) return out;
  }
}

function toCreateField(raw: RawField): CreateField {
  const allowed = raw.allowedValues?.map((v) => ({
    ...(v.id === undefined ? {} : { id: String(v.id) }),
    ...(typeof v.name === 'string' ? { name: v.name } : {}),
    ...(typeof v.value === 'string' ? { value: v.value } : {}),
  }));
  return {
    fieldId: raw.fieldId ?? raw.key ?? '',
    name: raw.name ?? raw.fieldId ?? '',
    required: raw.required === true,
    hasDefaultValue: raw.hasDefaultValue === true,
    schema: raw.schema ?? { type: 'any' },
    ...(allowed ? { allowedValues: allowed } : {}),
  };
}

export async function getProject(transport: JiraTransport, key: string) {
  const raw = await transport.json<{ id: string; key: string; name: string; issueTypes?: { id: string; name: string }[] }>({
    method: 'GET',
    path: `/project/${encodeURIComponent(key)}`,
    subject: { action: `read project ${key}`, projectKey: key, notFound: JIRA_PROJECT_NOT_FOUND },
  });
  return {
    id: String(raw.id),
    key: raw.key,
    name: raw.name,
    issueTypes: (raw.issueTypes ?? []).map((t) => ({ id: String(t.id), name: t.name })),
  };
}

export async function createFields(transport: JiraTransport, projectKey: string, issueTypeName: string): Promise<CreateField[]> {
  const cacheKey = `jira:createmeta:${transport.connectionKey}:${projectKey}:${issueTypeName.toLowerCase()}`;
  const cached = await transport.sharedState.get(cacheKey);
  if (cached) return JSON.parse(cached) as CreateField[];
  const subject = { action: `read the create screen of ${issueTypeName} in project ${projectKey}`, projectKey, notFound: JIRA_PROJECT_NOT_FOUND } as const;
  const path = `/issue/createmeta/${encodeURIComponent(projectKey)}/issuetypes`;
  const types = await allPages<{ id: string; name: string }>(transport, path, 'issueTypes', subject);
  const type = types.find((t) => t.name.toLowerCase() === issueTypeName.toLowerCase() || t.id === issueTypeName);
  if (!type) {
    throw new JiraError(
      JIRA_FIELD_REJECTED,
      `Issue type '${issueTypeName}' is not available in project ${projectKey} (available: ${types.map((t) => t.name).join(', ') || 'none'})`,
      { field: 'issuetype', status: 400 },
    );
  }
  const fields = (await allPages<RawField>(transport, `${path}/${encodeURIComponent(type.id)}`, 'fields', subject)).map(toCreateField);
  await transport.sharedState.set(cacheKey, JSON.stringify(fields), transport.limits.createMetaTtlMs);
  return fields;
}

export async function priorities(transport: JiraTransport): Promise<{ id: string; name: string }[]> {
  const subject = { action: 'list priorities' };
  // Cloud deprecated the flat /priority list in favour of the paginated search.
  const raw =
    transport.target.flavor === 'cloud'
      ? await allPages<{ id: string; name: string }>(transport, '/priority/search', 'values', subject)
      : await transport.json<{ id: string; name: string }[]>({ method: 'GET', path: '/priority', subject });
  return raw.map((p) => ({ id: String(p.id), name: p.name }));
}

export async function myself(transport: JiraTransport) {
  const raw = await transport.json<{ accountId?: string; name?: string; displayName?: string; emailAddress?: string; timeZone?: string }>({
    method: 'GET',
    path: '/myself',
    subject: { action: 'read the connected Jira account' },
  });
  const cloud = transport.target.flavor === 'cloud';
  return {
    accountId: cloud && raw.accountId ? raw.accountId : null,
    name: !cloud && raw.name ? raw.name : null,
    displayName: raw.displayName ?? '',
    emailAddress: raw.emailAddress ?? null,
    timeZone: typeof raw.timeZone === 'string' && raw.timeZone ? raw.timeZone : null,
  };
}

type RawUser = { accountId?: string; name?: string; emailAddress?: string; active?: boolean; accountType?: string };

/**
 * Exact e-mail match first. When Jira hides addresses (privacy settings), a single active human match
 * is taken; several candidates give null rather than assigning the wrong person.
 */
export async function findUser(transport: JiraTransport, email: string): Promise<JiraUserRef | null> {
  const cloud = transport.target.flavor === 'cloud';
  const users = await transport.json<RawUser[]>({
    method: 'GET',
    path: '/user/search',
    query: cloud ? { query: email, maxResults: 20 } : { username: email, maxResults: 20 },
    subject: { action: 'look up a Jira user by e-mail' },
  });
  const candidates = (Array.isArray(users) ? users : []).filter((u) => u.active !== false && (!cloud || u.accountType === undefined || u.accountType === 'atlassian'));
  const wanted = email.trim().toLowerCase();
  const exact = candidates.filter((u) => u.emailAddress?.toLowerCase() === wanted);
  const hidden = candidates.filter((u) => !u.emailAddress);
  const match = exact.length === 1 ? exact[0] : exact.length === 0 && hidden.length === 1 && candidates.length === 1 ? hidden[0] : undefined;
  if (!match) return null;
  return cloud ? { accountId: match.accountId ?? null, name: null } : { accountId: null, name: match.name ?? null };
}

/** How long the site's status / priority / issue type names are reused (mapping checks). */
export const SITE_NAMES_TTL_MS = 60_000;

export type SiteNameList = 'statuses' | 'priorities' | 'issueTypes';

async function loadNames(transport: JiraTransport, list: SiteNameList): Promise<string[]> {
  if (list === 'priorities') return (await priorities(transport)).map((priority) => priority.name);
  // Both flavours list every status / issue type of the site as a flat array.
  const raw = await transport.json<{ name?: unknown }[]>({
    method: 'GET',
    path: list === 'statuses' ? '/status' : '/issuetype',
    subject: { action: list === 'statuses' ? 'list statuses' : 'list issue types' },
  });
  return (Array.isArray(raw) ? raw : []).map((entry) => entry.name).filter((name): name is string => typeof name === 'string');
}

/**
 * The site's status, priority or issue type names, from SharedState when read within
 * SITE_NAMES_TTL_MS (`fresh` reads Jira again and refreshes the cache).
 */
export async function siteNames(transport: JiraTransport, list: SiteNameList, options: { fresh?: boolean } = {}): Promise<string[]> {
  const cacheKey = `jira:names:${transport.connectionKey}:${list}`;
  if (!options.fresh) {
    const cached = await transport.sharedState.get(cacheKey);
    if (cached) return JSON.parse(cached) as string[];
  }
  const names = await loadNames(transport, list);
  await transport.sharedState.set(cacheKey, JSON.stringify(names), SITE_NAMES_TTL_MS);
  return names;
}

/** The project, or null when Jira says it does not exist (or the account cannot see it). */
export async function findProject(transport: JiraTransport, key: string): Promise<Awaited<ReturnType<typeof getProject>> | null> {
  try {
    return await getProject(transport, key);
  } catch (error) {
    if (error instanceof JiraError && error.code === JIRA_PROJECT_NOT_FOUND) return null;
    throw error;
  }
}
