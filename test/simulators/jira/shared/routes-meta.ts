/**
 * Site metadata: projects (Cloud's paginated `/project/search`, Server's plain array), create metadata
 * per project and issue type, priorities, statuses, issue types, fields, users (search, myself) and serverInfo.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type RouteEnv, renderContext, scope } from './env.ts';
import { fail } from './errors.ts';
import { screenFor } from './fields.ts';
import { queryInt, queryList, queryString } from './http.ts';
import type { FieldDef, Project } from './model.ts';
import { jiraDate, renderIssueType, renderPriority, renderProject, renderStatus, renderUser } from './render.ts';

function schemaOf(def: FieldDef): Record<string, unknown> {
  switch (def.kind) {
    case 'summary':
    case 'string':
      return def.id.startsWith('customfield_')
        ? { type: 'string', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:textfield', customId: Number(def.id.slice(12)) }
        : { type: 'string', system: def.id };
    case 'richtext':
      return def.id.startsWith('customfield_')
        ? { type: 'string', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:textarea', customId: Number(def.id.slice(12)) }
        : { type: 'string', system: def.id };
    case 'labels':
      return { type: 'array', items: 'string', system: 'labels' };
    case 'user':
      return { type: 'user', system: def.id };
    case 'date':
      return { type: 'date', system: def.id };
    case 'option':
      return { type: 'option', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:select', customId: Number(def.id.slice(12)) };
    default:
      return { type: def.kind, system: def.id };
  }
}

export function metaRoutes(app: FastifyInstance, env: RouteEnv): void {
  const v = env.flavor.apiVersion;
  const cloud = env.flavor.kind === 'cloud';
  const visibleProjects = (request: FastifyRequest): Project[] => env.store.projects.filter((p) => env.store.canSee(env.actor(request), p.key));
  const projectOr404 = (request: FastifyRequest, ref: string): Project => {
    const project = env.store.findProject(ref);
    if (!project || !env.store.canSee(env.actor(request), project.key)) fail(404, [`No project could be found with key '${ref}'.`]);
    return project;
  };

  if (cloud) {
    app.get('/rest/api/3/project/search', scope('read'), async (request) => {
      const startAt = queryInt(request, 'startAt', 0);
      const maxResults = Math.min(queryInt(request, 'maxResults', 50), 100);
      const keys = queryList(request, 'keys');
      const query = queryString(request, 'query')?.toLowerCase();
      const all = visibleProjects(request).filter(
        (p) => (!keys || keys.includes(p.key)) && (!query || p.key.toLowerCase().includes(query) || p.name.toLowerCase().includes(query)),
      );
      const values = all.slice(startAt, startAt + maxResults).map((p) => renderProject(renderContext(env, request), p, true));
      return {
        self: `${env.base(request)}/rest/api/3/project/search?startAt=${startAt}&maxResults=${maxResults}`,
        maxResults,
        startAt,
        total: all.length,
        isLast: startAt + maxResults >= all.length,
        values,
      };
    });
  } else {
    app.get('/rest/api/2/project', scope('read'), async (request) => visibleProjects(request).map((p) => renderProject(renderContext(env, request), p)));
  }

  app.get(`/rest/api/${v}/project/:ref`, scope('read'), async (request) => {
    const { ref } = request.params as { ref: string };
    return renderProject(renderContext(env, request), projectOr404(request, ref), true);
  });

  app.get(`/rest/api/${v}/issue/createmeta/:ref/issuetypes`, scope('read'), async (request) => {
    const { ref } = request.params as { ref: string };
    const project = projectOr404(request, ref);
    const maxResults = queryInt(request, 'maxResults', 50);
    if (maxResults > 200) fail(400, ["Parameter 'maxResults' must not exceed the limit '200'"]);
    const startAt = queryInt(request, 'startAt', 0);
    const types = project.issueTypeIds.map((id) => env.store.issueTypes.find((t) => t.id === id)).filter((t) => t !== undefined);
    const list = types.slice(startAt, startAt + maxResults).map((t) => renderIssueType(renderContext(env, request), t));
    return cloud
      ? { issueTypes: list, maxResults, startAt, total: types.length }
      : { maxResults, startAt, total: types.length, isLast: startAt + maxResults >= types.length, values: list };
  });

  app.get(`/rest/api/${v}/issue/createmeta/:ref/issuetypes/:typeId`, scope('read'), async (request) => {
    const { ref, typeId } = request.params as { ref: string; typeId: string };
    const project = projectOr404(request, ref);
    const type = env.store.issueTypes.find((t) => t.id === typeId);
    if (!type || !project.issueTypeIds.includes(type.id)) fail(404, ['The issue type with id \'' + typeId + "' does not exist or is not valid for this project."]);
    const maxResults = queryInt(request, 'maxResults', 50);
    if (maxResults > 200) fail(400, ["Parameter 'maxResults' must not exceed the limit '200'"]);
    const startAt = queryInt(request, 'startAt', 0);
    const ctx = renderContext(env, request);
    const defs = screenFor(env.store, type);
    const fields = defs.slice(startAt, startAt + maxResults).map((def) => {
      const required = ['summary', 'project', 'issuetype'].includes(def.id) || project.requiredFields.includes(def.id);
      const allowedValues =
        def.kind === 'priority'
          ? env.store.priorities.map((p) => renderPriority(ctx, p))
          : def.kind === 'option'
            ? def.options?.map((o) => ({ self: `${ctx.base}/rest/api/${v}/customFieldOption/${o.id}`, value: o.value, id: o.id }))
            : def.kind === 'issuetype'
              ? [renderIssueType(ctx, type)]
              : def.kind === 'project'
                ? [renderProject(ctx, project)]
                : undefined;
      return {
        required,
        schema: schemaOf(def),
        name: def.name,
        key: def.id,
        fieldId: def.id,
        hasDefaultValue: def.kind === 'priority',
        operations: def.kind === 'labels' ? ['add', 'set', 'remove'] : ['set'],
        ...(allowedValues ? { allowedValues } : {}),
      };
    });
    return cloud
      ? { fields, maxResults, startAt, total: defs.length }
      : { maxResults, startAt, total: defs.length, isLast: startAt + maxResults >= defs.length, values: fields };
  });

  app.get(`/rest/api/${v}/priority`, scope('read'), async (request) =>
    env.store.priorities.map((p) => ({ ...renderPriority(renderContext(env, request), p), statusColor: p.statusColor, description: p.name })),
  );

  app.get(`/rest/api/${v}/priority/search`, scope('read'), async (request) => {
    const startAt = queryInt(request, 'startAt', 0);
    const maxResults = queryInt(request, 'maxResults', 50);
    const all = env.store.priorities;
    return {
      startAt,
      maxResults,
      total: all.length,
      isLast: startAt + maxResults >= all.length,
      values: all
        .slice(startAt, startAt + maxResults)
        .map((p) => ({ ...renderPriority(renderContext(env, request), p), statusColor: p.statusColor, description: p.name, isDefault: p.name === 'Medium' })),
    };
  });

  // Every status and issue type of the site (Jira lists them flat; projects use a subset).
  app.get(`/rest/api/${v}/status`, scope('read'), async (request) => env.store.statuses.map((status) => renderStatus(renderContext(env, request), status)));

  app.get(`/rest/api/${v}/issuetype`, scope('read'), async (request) => env.store.issueTypes.map((type) => renderIssueType(renderContext(env, request), type)));

  app.get(`/rest/api/${v}/field`, scope('read'), async () =>
    env.store.fields.map((def) => ({
      id: def.id,
      key: def.id,
      name: def.name,
      custom: def.id.startsWith('customfield_'),
      orderable: true,
      navigable: true,
      searchable: true,
      schema: schemaOf(def),
    })),
  );

  app.get(`/rest/api/${v}/myself`, scope('user'), async (request) => {
    const actor = env.actor(request);
    return {
      ...renderUser(renderContext(env, request), actor),
      ...(cloud ? { key: '', name: '', emailAddress: actor.email, locale: 'en_US' } : { locale: 'en_US' }),
      groups: { size: 1, items: [] },
      applicationRoles: { size: 1, items: [] },
    };
  });

  app.get(`/rest/api/${v}/user/search`, scope('user'), async (request) => {
    const query = queryString(request, cloud ? 'query' : 'username') ?? queryString(request, 'query');
    const accountId = queryString(request, 'accountId');
    if (cloud && query !== undefined && accountId !== undefined) fail(400, ['Only one of query or accountId can be provided.']);
    if (!query && !accountId && !queryString(request, 'property')) {
      fail(400, [cloud ? 'One of the query parameters query, accountId or property must be provided.' : "The parameter 'username' is required."]);
    }
    const startAt = queryInt(request, 'startAt', 0);
    const maxResults = Math.min(queryInt(request, 'maxResults', 50), 1000);
    const needle = (query ?? '').toLowerCase();
    const matches = env.store.users.filter((u) =>
      accountId
        ? u.accountId === accountId
        : // Cloud matches e-mail even when the address is hidden from the answer.
          u.email.toLowerCase().startsWith(needle) ||
          u.displayName.toLowerCase().split(/\s+/).some((w) => w.startsWith(needle)) ||
          u.displayName.toLowerCase().startsWith(needle) ||
          (!cloud && u.name.toLowerCase().startsWith(needle)),
    );
    const ctx = renderContext(env, request);
    return matches.slice(startAt, startAt + maxResults).map((u) => ({ ...renderUser(ctx, u), ...(cloud ? { key: '', name: '' } : {}) }));
  });

  app.get(`/rest/api/${v}/serverInfo`, async (request) => ({
    baseUrl: env.base(request),
    version: cloud ? '1001.0.0-SNAPSHOT' : '9.12.15',
    versionNumbers: cloud ? [1001, 0, 0] : [9, 12, 15],
    deploymentType: cloud ? 'Cloud' : 'Server',
    buildNumber: cloud ? 100285 : 9120015,
    buildDate: '2026-01-01T00:00:00.000+0000',
    serverTime: jiraDate(env.store.now()),
    scmInfo: 'simulator',
    serverTitle: 'Jira',
  }));
}
