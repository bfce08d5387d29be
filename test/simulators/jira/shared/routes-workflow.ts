/**
 * Per-issue collaboration endpoints: transitions (only those available from the current status),
 * comments (ADF on Cloud v3, wiki strings on Server v2) and remote links (upsert by `globalId`).
 */
import type { FastifyInstance } from 'fastify';
import { type RouteEnv, fieldContext, renderContext, scope, visibleIssue } from './env.ts';
import { fail } from './errors.ts';
import { checkRichText } from './fields.ts';
import { queryInt, queryList, queryString } from './http.ts';
import { renderComment, renderRemoteLink, renderStatus } from './render.ts';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function workflowRoutes(app: FastifyInstance, env: RouteEnv): void {
  const v = env.flavor.apiVersion;

  app.get(`/rest/api/${v}/issue/:idOrKey/transitions`, scope('read'), async (request) => {
    const { idOrKey } = request.params as { idOrKey: string };
    const issue = visibleIssue(env, request, idOrKey);
    const ctx = renderContext(env, request);
    const only = queryString(request, 'transitionId');
    const available = env.store.transitions.filter((t) => t.from.includes(issue.statusId) && (!only || t.id === only));
    const withFields = queryList(request, 'expand')?.includes('transitions.fields') ?? false;
    return {
      expand: 'transitions',
      transitions: available.map((t) => ({
        id: t.id,
        name: t.name,
        to: renderStatus(ctx, env.store.status(t.to)),
        hasScreen: false,
        isGlobal: false,
        isInitial: false,
        isAvailable: true,
        isConditional: false,
        isLooped: false,
        ...(withFields ? { fields: {} } : {}),
      })),
    };
  });

  app.post(`/rest/api/${v}/issue/:idOrKey/transitions`, scope('write'), async (request, reply) => {
    const { idOrKey } = request.params as { idOrKey: string };
    const issue = visibleIssue(env, request, idOrKey);
    const body = isObject(request.body) ? request.body : {};
    const ref = isObject(body.transition) ? body.transition.id : undefined;
    if (ref === undefined || ref === null) fail(400, ["'transition' identifier must be specified."]);
    if (!/^\d+$/.test(String(ref))) fail(400, ["'transition' identifier must be an integer"]);
    const transition = env.store.transitions.find((t) => t.id === String(ref) && t.from.includes(issue.statusId));
    if (!transition) fail(400, [`Transition id '${String(ref)}' is not valid for this issue.`]);
    if (isObject(body.fields) && Object.keys(body.fields).length > 0) {
      // No transition screens in this workflow: any field is "not on the appropriate screen".
      const errors = Object.fromEntries(
        Object.keys(body.fields).map((id) => [id, `Field '${id}' cannot be set. It is not on the appropriate screen, or unknown.`]),
      );
      fail(400, [], errors);
    }
    env.store.transitionIssue(issue, transition, env.actor(request));
    return reply.code(204).send();
  });

  app.get(`/rest/api/${v}/issue/:idOrKey/comment`, scope('read'), async (request) => {
    const { idOrKey } = request.params as { idOrKey: string };
    const issue = visibleIssue(env, request, idOrKey);
    const startAt = queryInt(request, 'startAt', 0);
    const maxResults = Math.min(queryInt(request, 'maxResults', 5000), 5000);
    const ordered = queryString(request, 'orderBy')?.startsWith('-') ? [...issue.comments].reverse() : issue.comments;
    const ctx = renderContext(env, request);
    return {
      startAt,
      maxResults,
      total: issue.comments.length,
      comments: ordered.slice(startAt, startAt + maxResults).map((c) => renderComment(ctx, issue, c)),
    };
  });

  app.post(`/rest/api/${v}/issue/:idOrKey/comment`, scope('write'), async (request, reply) => {
    const { idOrKey } = request.params as { idOrKey: string };
    const issue = visibleIssue(env, request, idOrKey);
    const body = isObject(request.body) ? request.body.body : undefined;
    if (body === undefined || body === null || body === '') fail(400, [], { comment: 'Comment body can not be empty!' });
    const checked = checkRichText(fieldContext(env), body);
    if (checked.invalidInput) fail(400, ['INVALID_INPUT']);
    if (checked.error) fail(400, [], { comment: checked.error });
    const comment = env.store.addComment(issue, body, env.actor(request));
    return reply.code(201).send(renderComment(renderContext(env, request), issue, comment));
  });

  app.get(`/rest/api/${v}/issue/:idOrKey/remotelink`, scope('read'), async (request) => {
    const { idOrKey } = request.params as { idOrKey: string };
    const issue = visibleIssue(env, request, idOrKey);
    const globalId = queryString(request, 'globalId');
    const ctx = renderContext(env, request);
    if (globalId !== undefined) {
      const link = issue.remoteLinks.find((l) => l.globalId === globalId);
      if (!link) fail(404, ['No remote link with the given globalId exists.']);
      return renderRemoteLink(ctx, issue, link);
    }
    return issue.remoteLinks.map((l) => renderRemoteLink(ctx, issue, l));
  });

  app.post(`/rest/api/${v}/issue/:idOrKey/remotelink`, scope('write'), async (request, reply) => {
    const { idOrKey } = request.params as { idOrKey: string };
    const issue = visibleIssue(env, request, idOrKey);
    const body = isObject(request.body) ? request.body : {};
    const object = isObject(body.object) ? body.object : undefined;
    const errors: Record<string, string> = {};
    if (!object || typeof object.url !== 'string' || object.url === '') errors.url = "'url' is required.";
    if (!object || typeof object.title !== 'string' || object.title === '') errors.title = "'title' is required.";
    if (Object.keys(errors).length > 0 || !object) fail(400, [], errors);
    const globalId = typeof body.globalId === 'string' && body.globalId !== '' ? body.globalId : null;
    const existing = globalId ? issue.remoteLinks.find((l) => l.globalId === globalId) : undefined;
    const fields = {
      globalId,
      // Upsert replaces the link: unspecified fields become null, as Jira documents.
      application: isObject(body.application) ? body.application : null,
      relationship: typeof body.relationship === 'string' ? body.relationship : null,
      object,
    };
    let id: number;
    if (existing) {
      Object.assign(existing, fields);
      id = existing.id;
    } else {
      id = 10000 + issue.remoteLinks.length + Number(issue.id) * 100;
      issue.remoteLinks.push({ id, ...fields });
    }
    env.store.touch(issue);
    return reply.code(existing ? 200 : 201).send({ id, self: `${env.base(request)}/rest/api/${v}/issue/${issue.key}/remotelink/${id}` });
  });

  app.delete(`/rest/api/${v}/issue/:idOrKey/remotelink/:linkId`, scope('write'), async (request, reply) => {
    const { idOrKey, linkId } = request.params as { idOrKey: string; linkId: string };
    const issue = visibleIssue(env, request, idOrKey);
    const index = issue.remoteLinks.findIndex((l) => String(l.id) === linkId);
    if (index < 0) fail(404, ['No remote link with the given id exists.']);
    issue.remoteLinks.splice(index, 1);
    return reply.code(204).send();
  });
}
