/**
 * Issue CRUD shared by Cloud (v3) and Server (v2): create, bulk create (≤ 50, per-item errors), get with
 * `fields`/`expand`, edit (fields + update ops), delete, and issue properties.
 */
import type { FastifyInstance } from 'fastify';
import { type RouteEnv, fieldContext, renderContext, scope, visibleIssue } from './env.ts';
import { fail } from './errors.ts';
import { checkCreate, checkEdit, type CreateInput, toIssueFields } from './fields.ts';
import { queryList, queryString } from './http.ts';
import type { Issue } from './model.ts';
import { renderIssue } from './render.ts';
import type { SeedUser } from './seed.ts';

export const BULK_LIMIT = 50;

function createFrom(env: RouteEnv, input: CreateInput, actor: SeedUser): Issue {
  const fields = toIssueFields(null, input.patch);
  return env.store.createIssue(
    {
      projectId: input.project.id,
      issueTypeId: input.issueType.id,
      summary: fields.summary ?? '',
      description: fields.description ?? null,
      environment: fields.environment ?? null,
      priorityId: fields.priorityId ?? env.store.priorities.find((p) => p.name === 'Medium')?.id ?? null,
      labels: fields.labels ?? [],
      assigneeId: fields.assigneeId ?? null,
      reporterId: actor.accountId,
      duedate: fields.duedate ?? null,
      custom: fields.custom ?? {},
    },
    actor,
  );
}

export function issueRoutes(app: FastifyInstance, env: RouteEnv): void {
  const v = env.flavor.apiVersion;

  app.post(`/rest/api/${v}/issue`, scope('write'), async (request, reply) => {
    const actor = env.actor(request);
    const checked = checkCreate(fieldContext(env), request.body, (key) => env.store.canSee(actor, key));
    if (!checked.ok) return reply.code(400).send(checked.error);
    const issue = createFrom(env, checked.value, actor);
    return reply.code(201).send({ id: issue.id, key: issue.key, self: `${env.base(request)}/rest/api/${v}/issue/${issue.id}` });
  });

  app.post(`/rest/api/${v}/issue/bulk`, scope('write'), async (request, reply) => {
    const actor = env.actor(request);
    const updates = (request.body as { issueUpdates?: unknown } | null)?.issueUpdates;
    if (!Array.isArray(updates)) fail(400, ['Issue updates must not be null or empty.']);
    if (updates.length > BULK_LIMIT) {
      fail(400, [`Bulk create is limited to ${BULK_LIMIT} issues per request; this request has ${updates.length}.`]);
    }
    const issues: unknown[] = [];
    const errors: unknown[] = [];
    updates.forEach((update, index) => {
      const checked = checkCreate(fieldContext(env), update, (key) => env.store.canSee(actor, key));
      if (!checked.ok) {
        errors.push({ status: 400, elementErrors: checked.error, failedElementNumber: index });
        return;
      }
      const issue = createFrom(env, checked.value, actor);
      issues.push({ id: issue.id, key: issue.key, self: `${env.base(request)}/rest/api/${v}/issue/${issue.id}` });
    });
    // Partial success is still 201; only an all-failed batch is 400.
    return reply.code(issues.length > 0 || updates.length === 0 ? 201 : 400).send({ issues, errors });
  });

  app.get(`/rest/api/${v}/issue/:idOrKey`, scope('read'), async (request) => {
    const { idOrKey } = request.params as { idOrKey: string };
    const issue = visibleIssue(env, request, idOrKey);
    return renderIssue(renderContext(env, request), issue, { fields: queryList(request, 'fields'), expand: queryList(request, 'expand') });
  });

  app.put(`/rest/api/${v}/issue/:idOrKey`, scope('write'), async (request, reply) => {
    const { idOrKey } = request.params as { idOrKey: string };
    const actor = env.actor(request);
    const issue = visibleIssue(env, request, idOrKey);
    const checked = checkEdit(fieldContext(env), issue, request.body);
    if (!checked.ok) return reply.code(400).send(checked.error);
    env.store.updateIssue(issue, toIssueFields(issue, checked.value.patch), actor, checked.value.patch.assigneeId !== undefined ? 'issue_assigned' : 'issue_generic');
    for (const body of checked.value.comments) env.store.addComment(issue, body, actor);
    if (queryString(request, 'returnIssue') === 'true') return reply.code(200).send(renderIssue(renderContext(env, request), issue));
    return reply.code(204).send();
  });

  app.delete(`/rest/api/${v}/issue/:idOrKey`, scope('write'), async (request, reply) => {
    const { idOrKey } = request.params as { idOrKey: string };
    const issue = visibleIssue(env, request, idOrKey);
    env.store.deleteIssue(issue, env.actor(request));
    return reply.code(204).send();
  });

  app.get(`/rest/api/${v}/issue/:idOrKey/properties`, scope('read'), async (request) => {
    const { idOrKey } = request.params as { idOrKey: string };
    const issue = visibleIssue(env, request, idOrKey);
    return {
      keys: Object.keys(issue.properties).map((key) => ({ key, self: `${env.base(request)}/rest/api/${v}/issue/${issue.id}/properties/${key}` })),
    };
  });

  app.get(`/rest/api/${v}/issue/:idOrKey/properties/:propertyKey`, scope('read'), async (request) => {
    const { idOrKey, propertyKey } = request.params as { idOrKey: string; propertyKey: string };
    const issue = visibleIssue(env, request, idOrKey);
    if (!(propertyKey in issue.properties)) fail(404, [`The property with key '${propertyKey}' does not exist.`]);
    return { key: propertyKey, value: issue.properties[propertyKey] };
  });

  app.put(`/rest/api/${v}/issue/:idOrKey/properties/:propertyKey`, scope('write'), async (request, reply) => {
    const { idOrKey, propertyKey } = request.params as { idOrKey: string; propertyKey: string };
    const issue = visibleIssue(env, request, idOrKey);
    if (propertyKey.length > 255) fail(400, ['The property key cannot be longer than 255 characters.']);
    const body = request.body;
    if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0 && !Array.isArray(body))) {
      fail(400, ['The property value must not be empty.']);
    }
    if (JSON.stringify(body).length > 32768) fail(400, ['The property value cannot be longer than 32768 characters.']);
    const existed = propertyKey in issue.properties;
    issue.properties[propertyKey] = body;
    // Property writes reach the search index like any change (with the same lag).
    env.store.touch(issue);
    return reply.code(existed ? 200 : 201).send();
  });

  app.delete(`/rest/api/${v}/issue/:idOrKey/properties/:propertyKey`, scope('write'), async (request, reply) => {
    const { idOrKey, propertyKey } = request.params as { idOrKey: string; propertyKey: string };
    const issue = visibleIssue(env, request, idOrKey);
    if (!(propertyKey in issue.properties)) fail(404, [`The property with key '${propertyKey}' does not exist.`]);
    delete issue.properties[propertyKey];
    env.store.touch(issue);
    return reply.code(204).send();
  });
}
