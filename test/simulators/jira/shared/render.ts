/**
 * The two renderings of the one issue model: Cloud v3 (ADF rich text, accountId users, `key`/`name` empty)
 * and Server v2 (strings, `name`/`key` users). `base` is the URL prefix the caller used (site URL, gateway
 * `/ex/jira/{cloudId}` or a Server context path), because Jira's `self` links follow the request's host.
 */
import { adfToWiki } from './adf.ts';
import type { Comment, Flavor, Issue, IssueType, Priority, Project, RemoteLink, Status, User } from './model.ts';
import { STATUS_CATEGORIES } from './seed.ts';
import type { JiraStore } from './store.ts';

export interface RenderContext {
  store: JiraStore;
  flavor: Flavor;
  base: string;
}

/** Jira's timestamp format: `2026-04-25T18:35:13.605+0000`. */
export function jiraDate(ms: number | null): string | null {
  if (ms === null) return null;
  return new Date(ms).toISOString().replace('Z', '+0000');
}

const api = (ctx: RenderContext): string => `${ctx.base}/rest/api/${ctx.flavor.apiVersion}`;

function avatars(seed: string): Record<string, string> {
  const url = `https://avatar.sim.example/${encodeURIComponent(seed)}`;
  return { '48x48': url, '24x24': url, '16x16': url, '32x32': url };
}

export function renderUser(ctx: RenderContext, user: User | undefined, withEmail = true): Record<string, unknown> | null {
  if (!user) return null;
  if (ctx.flavor.kind === 'cloud') {
    return {
      self: `${api(ctx)}/user?accountId=${encodeURIComponent(user.accountId)}`,
      accountId: user.accountId,
      accountType: 'atlassian',
      ...(withEmail && user.emailVisible ? { emailAddress: user.email } : {}),
      avatarUrls: avatars(user.accountId),
      displayName: user.displayName,
      active: user.active,
      timeZone: user.timeZone,
    };
  }
  return {
    self: `${api(ctx)}/user?username=${encodeURIComponent(user.name)}`,
    name: user.name,
    key: user.name,
    ...(withEmail ? { emailAddress: user.email } : {}),
    avatarUrls: avatars(user.name),
    displayName: user.displayName,
    active: user.active,
    timeZone: user.timeZone,
  };
}

export function renderStatus(ctx: RenderContext, status: Status): Record<string, unknown> {
  const category = STATUS_CATEGORIES[status.categoryKey];
  return {
    self: `${api(ctx)}/status/${status.id}`,
    description: '',
    iconUrl: `${ctx.base}/images/icons/statuses/generic.png`,
    name: status.name,
    id: status.id,
    statusCategory: { self: `${api(ctx)}/statuscategory/${category.id}`, ...category },
  };
}

export function renderPriority(ctx: RenderContext, priority: Priority): Record<string, unknown> {
  return {
    self: `${api(ctx)}/priority/${priority.id}`,
    iconUrl: `${ctx.base}/images/icons/priorities/${priority.name.toLowerCase()}.svg`,
    name: priority.name,
    id: priority.id,
  };
}

export function renderIssueType(ctx: RenderContext, type: IssueType): Record<string, unknown> {
  return {
    self: `${api(ctx)}/issuetype/${type.id}`,
    id: type.id,
    description: type.description,
    iconUrl: `${ctx.base}/images/icons/issuetypes/${type.name.toLowerCase()}.png`,
    name: type.name,
    subtask: type.subtask,
    hierarchyLevel: 0,
  };
}

export function renderProject(ctx: RenderContext, project: Project, full = false): Record<string, unknown> {
  const base = {
    self: `${api(ctx)}/project/${project.id}`,
    id: project.id,
    key: project.key,
    name: project.name,
    projectTypeKey: 'software',
    simplified: false,
    avatarUrls: avatars(project.key),
  };
  if (!full) return base;
  return {
    ...base,
    description: '',
    lead: renderUser(ctx, ctx.store.findUser(project.leadAccountId), false),
    issueTypes: project.issueTypeIds.map((id) => ctx.store.issueTypes.find((t) => t.id === id)).filter((t) => t !== undefined).map((t) => renderIssueType(ctx, t)),
    style: 'classic',
    isPrivate: false,
  };
}

/** Rich text for this flavour; a Cloud document becomes wiki text when rendered for v2 (webhooks). */
function richText(ctx: RenderContext, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (ctx.flavor.richText === 'wiki' && typeof value !== 'string') return adfToWiki(value);
  return value;
}

export function renderComment(ctx: RenderContext, issue: Issue, comment: Comment): Record<string, unknown> {
  const author = renderUser(ctx, ctx.store.findUser(comment.authorId), false);
  return {
    self: `${api(ctx)}/issue/${issue.id}/comment/${comment.id}`,
    id: comment.id,
    author,
    body: richText(ctx, comment.body),
    updateAuthor: author,
    created: jiraDate(comment.created),
    updated: jiraDate(comment.updated),
    jsdPublic: true,
  };
}

export function renderRemoteLink(ctx: RenderContext, issue: Issue, link: RemoteLink): Record<string, unknown> {
  return {
    id: link.id,
    self: `${api(ctx)}/issue/${issue.key}/remotelink/${link.id}`,
    ...(link.globalId !== null ? { globalId: link.globalId } : {}),
    ...(link.application !== null && link.application !== undefined ? { application: link.application } : { application: {} }),
    ...(link.relationship !== null ? { relationship: link.relationship } : {}),
    object: link.object,
  };
}

/** Every field of an issue, keyed by field id. Navigable = all of these here. */
export function issueFields(ctx: RenderContext, issue: Issue): Record<string, unknown> {
  const project = ctx.store.projectOf(issue);
  const type = ctx.store.issueTypes.find((t) => t.id === issue.issueTypeId);
  const priority = ctx.store.priorities.find((p) => p.id === issue.priorityId);
  const fields: Record<string, unknown> = {
    summary: issue.summary,
    description: richText(ctx, issue.description),
    environment: richText(ctx, issue.environment),
    issuetype: type ? renderIssueType(ctx, type) : null,
    project: renderProject(ctx, project),
    priority: priority ? renderPriority(ctx, priority) : null,
    labels: [...issue.labels],
    assignee: renderUser(ctx, issue.assigneeId ? ctx.store.findUser(issue.assigneeId) : undefined),
    reporter: renderUser(ctx, ctx.store.findUser(issue.reporterId)),
    creator: renderUser(ctx, ctx.store.findUser(issue.creatorId)),
    status: renderStatus(ctx, ctx.store.status(issue.statusId)),
    statusCategory: (() => {
      const category = STATUS_CATEGORIES[ctx.store.status(issue.statusId).categoryKey];
      return { self: `${api(ctx)}/statuscategory/${category.id}`, ...category };
    })(),
    resolution: issue.resolution ? { self: `${api(ctx)}/resolution/1`, id: '1', name: issue.resolution, description: '' } : null,
    resolutiondate: jiraDate(issue.resolutionDate),
    created: jiraDate(issue.created),
    updated: jiraDate(issue.updated),
    statuscategorychangedate: jiraDate(issue.statusCategoryChangedAt),
    duedate: issue.duedate,
    comment: {
      comments: issue.comments.map((c) => renderComment(ctx, issue, c)),
      self: `${api(ctx)}/issue/${issue.id}/comment`,
      maxResults: issue.comments.length,
      total: issue.comments.length,
      startAt: 0,
    },
  };
  for (const def of ctx.store.fields) {
    if (!def.id.startsWith('customfield_')) continue;
    const value = issue.custom[def.id] ?? null;
    fields[def.id] = def.kind === 'richtext' ? richText(ctx, value) : value;
  }
  return fields;
}

/**
 * Applies Jira's `fields` parameter: `*all`, `*navigable`, ids, and `-id` exclusions. `fallback` is the
 * default when the parameter is absent (`*all` for get, `id` only for Cloud's /search/jql).
 */
export function selectFields(all: Record<string, unknown>, spec: string[] | undefined, fallback: string[]): Record<string, unknown> | null {
  const list = spec && spec.length > 0 ? spec : fallback;
  let include = new Set<string>();
  const exclude = new Set<string>();
  for (const raw of list) {
    const item = raw.trim();
    if (item === '*all' || item === '*navigable') include = new Set(Object.keys(all));
    else if (item.startsWith('-')) exclude.add(item.slice(1));
    else if (item !== '' && item !== 'id' && item !== 'key') include.add(item);
  }
  const out: Record<string, unknown> = {};
  for (const id of include) if (!exclude.has(id) && id in all) out[id] = all[id];
  return Object.keys(out).length > 0 || include.size > 0 ? out : null;
}

export function renderIssue(ctx: RenderContext, issue: Issue, options: { fields?: string[]; fallback?: string[]; expand?: string[] } = {}): Record<string, unknown> {
  const selected = selectFields(issueFields(ctx, issue), options.fields, options.fallback ?? ['*all']);
  const out: Record<string, unknown> = {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
    id: issue.id,
    self: `${api(ctx)}/issue/${issue.id}`,
    key: issue.key,
  };
  if (selected) out.fields = selected;
  const expand = new Set(options.expand ?? []);
  if (expand.has('names')) out.names = Object.fromEntries(ctx.store.fields.map((f) => [f.id, f.name]));
  if (expand.has('changelog')) {
    out.changelog = {
      startAt: 0,
      maxResults: issue.changelog.length,
      total: issue.changelog.length,
      histories: issue.changelog.map((h) => ({
        id: h.id,
        author: renderUser(ctx, ctx.store.findUser(h.authorId), false),
        created: jiraDate(h.created),
        items: h.items,
      })),
    };
  }
  if (expand.has('properties')) out.properties = { ...issue.properties };
  return out;
}
