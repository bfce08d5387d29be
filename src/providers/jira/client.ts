/**
 * createJiraClient: the JiraClient for one connection. Flavour differences (REST root, rich-text
 * format, people references, search endpoint) are settled here and in the modules it calls, so the
 * ticket service never branches on Cloud versus Server.
 */
import { attributeTo } from '../../errors/coded-error.ts';
import { bulkCreate } from './bulk.ts';
import { commentToAdf, commentToWiki } from './comment.ts';
import { type CallSubject, JIRA_ISSUE_NOT_FOUND } from './errors.ts';
import { fieldList, issueFrom, refFrom } from './issue-shape.ts';
import { processLimiters } from './limiter.ts';
import { createFields, findUser, getProject, myself, priorities } from './metadata.ts';
import { searchAll } from './search.ts';
import { createJiraTransport, DEFAULT_LIMITS } from './transport.ts';
import type { BulkResult, JiraClient, JiraClientDeps, JiraTarget, JiraTransition } from './types.ts';

const issuePath = (idOrKey: string) => `/issue/${encodeURIComponent(idOrKey)}`;
const onIssue = (action: string, issueKey: string, write = false): CallSubject => ({
  action: `${action} ${issueKey}`,
  issueKey,
  notFound: JIRA_ISSUE_NOT_FOUND,
  ...(write ? { write: true } : {}),
});

/** Every error a call raises names its provider ("jira-cloud" / "jira-server"). */
function attributed(client: JiraClient, provider: string): JiraClient {
  const wrapped: Record<string, unknown> = { flavor: client.flavor };
  for (const [name, value] of Object.entries(client)) {
    if (typeof value !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      try {
        const result = await (value as (...a: unknown[]) => Promise<unknown>)(...args);
        if (name === 'bulkCreate') for (const failure of (result as BulkResult).failed) attributeTo(failure.error, provider);
        return result;
      } catch (error) {
        throw attributeTo(error, provider);
      }
    };
  }
  return wrapped as unknown as JiraClient;
}

export function createJiraClient(target: JiraTarget, deps: JiraClientDeps): JiraClient {
  return attributed(createFlavouredClient(target, deps), target.flavor === 'cloud' ? 'jira-cloud' : 'jira-server');
}

function createFlavouredClient(target: JiraTarget, deps: JiraClientDeps): JiraClient {
  const transport = createJiraTransport(target, {
    http: deps.http,
    sharedState: deps.sharedState,
    logger: deps.logger,
    limiters: deps.limiters ?? processLimiters,
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
  });

  return {
    flavor: target.flavor,
    myself: () => myself(transport),
    getProject: (key) => getProject(transport, key),
    createFields: (projectKey, issueTypeName) => createFields(transport, projectKey, issueTypeName),
    priorities: () => priorities(transport),
    findUser: (email) => findUser(transport, email),
    search: (jql, options) => searchAll(transport, jql, options),
    bulkCreate: (items) => bulkCreate(transport, items),

    async createIssue(fields, options) {
      const projectKey = (fields.project as { key?: string } | undefined)?.key;
      const raw = await transport.json<unknown>({
        method: 'POST',
        path: '/issue',
        body: { fields, ...(options?.properties ? { properties: options.properties } : {}) },
        subject: { action: `create an issue${projectKey ? ` in project ${projectKey}` : ''}`, ...(projectKey ? { projectKey } : {}), write: true },
      });
      return refFrom(target, raw);
    },

    async getIssue(idOrKey, options) {
      const raw = await transport.json<unknown>({
        method: 'GET',
        path: issuePath(idOrKey),
        query: { fields: options?.fields ? fieldList(options.fields).join(',') : '*navigable' },
        subject: onIssue('read issue', idOrKey),
      });
      return issueFrom(target, raw);
    },

    async addComment(idOrKey, body) {
      const raw = await transport.json<{ id?: unknown }>({
        method: 'POST',
        path: `${issuePath(idOrKey)}/comment`,
        body: { body: target.flavor === 'cloud' ? commentToAdf(body) : commentToWiki(body) },
        subject: onIssue('comment on', idOrKey, true),
      });
      return { id: String(raw.id ?? '') };
    },

    async listTransitions(idOrKey) {
      const raw = await transport.json<{ transitions?: { id: string; name: string; to?: { name?: string; statusCategory?: { key?: string } } }[] }>({
        method: 'GET',
        path: `${issuePath(idOrKey)}/transitions`,
        subject: onIssue('list transitions of', idOrKey),
      });
      return (raw.transitions ?? []).map(
        (t): JiraTransition => ({ id: String(t.id), name: t.name, to: { name: t.to?.name ?? '', categoryKey: t.to?.statusCategory?.key ?? '' } }),
      );
    },

    async transition(idOrKey, transitionId) {
      await transport.call({
        method: 'POST',
        path: `${issuePath(idOrKey)}/transitions`,
        body: { transition: { id: transitionId } },
        subject: onIssue('transition', idOrKey),
        // Not resent: after a transition Jira applied but did not confirm, the same id is usually no
        // longer offered and the resend would report a success as "transition not available".
      });
    },

    async addRemoteLink(idOrKey, link) {
      await transport.call({
        method: 'POST',
        path: `${issuePath(idOrKey)}/remotelink`,
        body: {
          globalId: link.globalId,
          object: {
            url: link.url,
            title: link.title,
            ...(link.summary ? { summary: link.summary } : {}),
            ...(link.iconUrl ? { icon: { url16x16: link.iconUrl, title: link.title } } : {}),
          },
        },
        subject: onIssue('link to', idOrKey),
        // Upsert by globalId: resending gives the same result.
        idempotent: true,
      });
    },

    async setIssueProperty(idOrKey, key, value) {
      await transport.call({
        method: 'PUT',
        path: `${issuePath(idOrKey)}/properties/${encodeURIComponent(key)}`,
        body: value,
        subject: onIssue(`set property ${key} on`, idOrKey),
      });
    },

    async getIssueProperty(idOrKey, key) {
      const response = await transport.call({
        method: 'GET',
        path: `${issuePath(idOrKey)}/properties/${encodeURIComponent(key)}`,
        subject: onIssue(`read property ${key} of`, idOrKey),
        accept: [404],
      });
      if (response.status === 404) {
        // A missing issue is an error; a missing property on an existing issue is an answer.
        const said = response.body;
        if (/Issue does not exist|permission to see it/i.test(said)) {
          await transport.call({ method: 'GET', path: issuePath(idOrKey), query: { fields: 'id' }, subject: onIssue('read issue', idOrKey) });
        }
        return null;
      }
      return (JSON.parse(response.body) as { value?: unknown }).value ?? null;
    },
  };
}
