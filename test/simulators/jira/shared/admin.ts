/**
 * The admin side of a Jira simulator: an in-process API for tests (read state, set faults and search lag,
 * register webhooks, change issues "as a human in the UI" so webhooks fire) and the same over HTTP under
 * `/_admin/...`, which the fault injector and request log skip.
 */
import type { FastifyInstance } from 'fastify';
import type { FaultConfig, FaultInjector } from '../../common/faults.ts';
import type { RecordedRequest, RequestLog } from '../../common/request-log.ts';
import { checkRichText, type FieldContext } from './fields.ts';
import type { Comment, Issue, RemoteLink, Transition } from './model.ts';
import type { SeedUser } from './seed.ts';
import type { JiraStore } from './store.ts';
import type { Delivery, Webhook, WebhookDispatcher, WebhookRegistration } from './webhooks.ts';

export interface DirectIssueInput {
  project: string;
  summary: string;
  /** Issue type name or id; default Task. */
  issueType?: string;
  description?: unknown;
  labels?: string[];
  /** Priority name or id. */
  priority?: string;
  /** accountId or Server user name. */
  assignee?: string;
  properties?: Record<string, unknown>;
  custom?: Record<string, unknown>;
}

export interface JiraAdmin {
  store: JiraStore;
  requests: RequestLog;
  faults: FaultInjector;
  configureFaults(patch: Partial<FaultConfig>): void;
  /** Requests received (not counting `/_admin`), optionally filtered by method and path substring. */
  received(filter?: { method?: string; path?: string }): RecordedRequest[];
  setSearchLag(ms: number): void;
  issues(): Issue[];
  issue(idOrKey: string): Issue | undefined;
  comments(idOrKey: string): Comment[];
  remoteLinks(idOrKey: string): RemoteLink[];
  /** Status changes of an issue, oldest first. */
  transitions(idOrKey: string): { from: string | null; to: string | null; by: string; at: number }[];
  registerWebhook(registration: WebhookRegistration): Webhook;
  webhooks(): Webhook[];
  deliveries(): Delivery[];
  /** Lose every webhook delivery from now on (true), or deliver again (false). */
  dropWebhooks(drop: boolean): void;
  waitForWebhooks(): Promise<void>;
  /** The default actor of the *Directly helpers: a human admin, not the integration's account. */
  defaultActor: SeedUser;
  createIssueDirectly(input: DirectIssueInput, actor?: SeedUser): Issue;
  updateIssueDirectly(idOrKey: string, patch: Partial<Pick<Issue, 'summary' | 'labels' | 'priorityId' | 'assigneeId' | 'description'>>, actor?: SeedUser): Issue;
  /** Moves along the workflow if a transition exists, else jumps (an admin can). Fires webhooks. */
  transitionIssueDirectly(idOrKey: string, toStatusName: string, actor?: SeedUser): Issue;
  addCommentDirectly(idOrKey: string, body: unknown, actor?: SeedUser): Comment;
  deleteIssueDirectly(idOrKey: string, actor?: SeedUser): void;
  setIssuePropertyDirectly(idOrKey: string, key: string, value: unknown): void;
}

export function createAdmin(deps: {
  store: JiraStore;
  requests: RequestLog;
  faults: FaultInjector;
  webhooks: WebhookDispatcher;
  fieldContext: FieldContext;
}): JiraAdmin {
  const { store, webhooks } = deps;
  const defaultActor = store.users.find((u) => u.name === 'alice') ?? (store.users[0] as SeedUser);
  const mustFind = (idOrKey: string): Issue => {
    const issue = store.findIssue(idOrKey);
    if (!issue) throw new Error(`no issue ${idOrKey}`);
    return issue;
  };
  const admin: JiraAdmin = {
    store,
    requests: deps.requests,
    faults: deps.faults,
    configureFaults: (patch) => deps.faults.configure(patch),
    received: (filter = {}) =>
      deps.requests.entries.filter((e) => (!filter.method || e.method === filter.method.toUpperCase()) && (!filter.path || e.path.includes(filter.path))),
    setSearchLag(ms) {
      store.searchLagMs = ms;
    },
    issues: () => [...store.issues.values()],
    issue: (idOrKey) => store.findIssue(idOrKey),
    comments: (idOrKey) => mustFind(idOrKey).comments,
    remoteLinks: (idOrKey) => mustFind(idOrKey).remoteLinks,
    transitions: (idOrKey) =>
      mustFind(idOrKey)
        .changelog.flatMap((h) => h.items.filter((i) => i.fieldId === 'status').map((i) => ({ from: i.fromString, to: i.toString, by: h.authorId, at: h.created }))),
    registerWebhook: (registration) => webhooks.register(registration),
    webhooks: () => webhooks.list(),
    deliveries: () => [...webhooks.deliveries],
    dropWebhooks: (drop) => webhooks.setDrop(drop),
    waitForWebhooks: () => webhooks.idle(),
    defaultActor,
    createIssueDirectly(input, actor = defaultActor) {
      const project = store.findProject(input.project);
      if (!project) throw new Error(`no project ${input.project}`);
      const typeRef = input.issueType ?? 'Task';
      const type = store.issueTypes.find((t) => t.id === typeRef || t.name === typeRef);
      if (!type) throw new Error(`no issue type ${typeRef}`);
      if (input.description !== undefined && input.description !== null) {
        const check = checkRichText(deps.fieldContext, input.description);
        if (check.error || check.invalidInput) throw new Error(`description is not valid for this flavour: ${check.error ?? 'INVALID_INPUT'}`);
      }
      const priority = input.priority ? store.priorities.find((p) => p.id === input.priority || p.name === input.priority) : undefined;
      const issue = store.createIssue(
        {
          projectId: project.id,
          issueTypeId: type.id,
          summary: input.summary,
          description: input.description ?? null,
          environment: null,
          priorityId: priority?.id ?? store.priorities.find((p) => p.name === 'Medium')?.id ?? null,
          labels: input.labels ?? [],
          assigneeId: input.assignee ? (store.findUser(input.assignee)?.accountId ?? null) : null,
          reporterId: actor.accountId,
          duedate: null,
          custom: input.custom ?? {},
        },
        actor,
      );
      if (input.properties) {
        Object.assign(issue.properties, structuredClone(input.properties));
        store.touch(issue);
      }
      return issue;
    },
    updateIssueDirectly(idOrKey, patch, actor = defaultActor) {
      const issue = mustFind(idOrKey);
      store.updateIssue(issue, patch, actor);
      return issue;
    },
    transitionIssueDirectly(idOrKey, toStatusName, actor = defaultActor) {
      const issue = mustFind(idOrKey);
      const target = store.statuses.find((s) => s.name.toLowerCase() === toStatusName.toLowerCase() || s.id === toStatusName);
      if (!target) throw new Error(`no status ${toStatusName}`);
      const viaWorkflow = store.transitions.find((t) => t.to === target.id && t.from.includes(issue.statusId));
      const transition: Transition = viaWorkflow ?? {
        id: '0',
        name: `Admin move to ${target.name}`,
        from: [issue.statusId],
        to: target.id,
        resolution: target.categoryKey === 'done' ? target.name : null,
      };
      store.transitionIssue(issue, transition, actor);
      return issue;
    },
    addCommentDirectly: (idOrKey, body, actor = defaultActor) => store.addComment(mustFind(idOrKey), body, actor),
    deleteIssueDirectly(idOrKey, actor = defaultActor) {
      store.deleteIssue(mustFind(idOrKey), actor);
    },
    setIssuePropertyDirectly(idOrKey, key, value) {
      const issue = mustFind(idOrKey);
      issue.properties[key] = structuredClone(value);
      store.touch(issue);
    },
  };
  return admin;
}

/** `/_admin/...` over HTTP, for the combined launcher and for debugging a running demo. */
export function adminRoutes(app: FastifyInstance, admin: JiraAdmin): void {
  const actorOf = (ref: unknown): SeedUser | undefined => (typeof ref === 'string' ? admin.store.findUser(ref) : undefined);
  const guard = async <T>(work: () => T | Promise<T>): Promise<T | { error: string }> => {
    try {
      return await work();
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  };
  app.get('/_admin/state', async () => ({
    searchLagMs: admin.store.searchLagMs,
    faults: admin.faults.config,
    issues: admin.issues(),
    webhooks: admin.webhooks(),
    deliveries: admin.deliveries().map(({ body: _body, ...rest }) => rest),
  }));
  app.get('/_admin/issues', async () => admin.issues());
  app.get('/_admin/requests', async () => admin.requests.entries);
  app.delete('/_admin/requests', async (_request, reply) => {
    admin.requests.clear();
    return reply.code(204).send();
  });
  app.get('/_admin/faults', async () => admin.faults.config);
  app.post('/_admin/faults', async (request) => {
    admin.configureFaults((request.body ?? {}) as Partial<FaultConfig>);
    return admin.faults.config;
  });
  app.post('/_admin/search-lag', async (request) => {
    const ms = Number((request.body as { ms?: unknown } | null)?.ms);
    if (Number.isFinite(ms) && ms >= 0) admin.setSearchLag(ms);
    return { searchLagMs: admin.store.searchLagMs };
  });
  app.post('/_admin/webhooks', async (request, reply) => reply.code(201).send(admin.registerWebhook(request.body as WebhookRegistration)));
  app.get('/_admin/webhooks', async () => admin.webhooks());
  app.get('/_admin/webhooks/deliveries', async () => admin.deliveries());
  app.put('/_admin/webhooks/drop', async (request, reply) => {
    const drop = (request.body as { drop?: unknown } | null)?.drop;
    if (typeof drop !== 'boolean') return reply.code(400).send({ errorMessages: ['drop must be true or false'] });
    admin.dropWebhooks(drop);
    return reply.code(204).send();
  });
  app.post('/_admin/issues', async (request, reply) => {
    const body = (request.body ?? {}) as DirectIssueInput & { actor?: string };
    const result = await guard(() => admin.createIssueDirectly(body, actorOf(body.actor)));
    return reply.code('error' in result ? 400 : 201).send(result);
  });
  app.post('/_admin/issues/:key/transition', async (request, reply) => {
    const { key } = request.params as { key: string };
    const body = (request.body ?? {}) as { status?: string; actor?: string };
    const result = await guard(() => admin.transitionIssueDirectly(key, String(body.status), actorOf(body.actor)));
    return reply.code('error' in result ? 400 : 200).send(result);
  });
  app.post('/_admin/issues/:key/comments', async (request, reply) => {
    const { key } = request.params as { key: string };
    const body = (request.body ?? {}) as { body?: unknown; actor?: string };
    const result = await guard(() => admin.addCommentDirectly(key, body.body, actorOf(body.actor)));
    return reply.code('error' in result ? 400 : 201).send(result);
  });
}
