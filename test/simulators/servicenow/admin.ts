/**
 * The admin side of the ServiceNow simulator: an in-process API for tests and the same over HTTP under
 * `/_admin/...` (skipped by the fault injector, the rate-limit rule, hibernation and the request log).
 * Records can be read and changed "as a ServiceNow user would" in the UI (default actor beth.anglin, an
 * ITIL user; these writes run the same platform logic and fire the outbound call), calls are counted per
 * endpoint, and everything can be reset between tests.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FaultConfig, FaultInjector } from '../common/faults.ts';
import type { RecordedRequest, RequestLog } from '../common/request-log.ts';
import type { OAuthState } from './oauth.ts';
import type { OutboundConfig, OutboundDelivery, OutboundDispatcher } from './outbound.ts';
import type { RateLimiter, RateLimitRule } from './rate-limit.ts';
import type { PriorityWrites, ServiceNowStore, SnRecord } from './store.ts';

export interface ServiceNowAdmin {
  store: ServiceNowStore;
  requests: RequestLog;
  faults: FaultInjector;
  /** The human the *Directly helpers act as (an ITIL user, not the integration account). */
  defaultActor: string;
  configureFaults(patch: Partial<FaultConfig>): void;
  /** Requests received (not counting `/_admin`), optionally filtered by method and path substring. */
  received(filter?: { method?: string; path?: string }): RecordedRequest[];
  /** Calls per endpoint, keyed `METHOD /api/now/table/<table>` or `METHOD /api/now/table/<table>/{sys_id}`. */
  callCounts(): Record<string, number>;
  records(table?: string): Record<string, string>[];
  record(table: string, sysIdOrNumber: string): Record<string, string> | undefined;
  /** Journal entries (sys_journal_field rows) of a record, newest first. */
  journal(table: string, sysIdOrNumber: string): Record<string, string>[];
  insertRecordDirectly(table: string, values: Record<string, unknown>, actor?: string): Record<string, string>;
  updateRecordDirectly(table: string, sysIdOrNumber: string, values: Record<string, unknown>, actor?: string): Record<string, string>;
  /** Sets `state` by code or label (plus e.g. close_code/close_notes) as a user on the form would. */
  setStateDirectly(table: string, sysIdOrNumber: string, state: string, extra?: Record<string, unknown>, actor?: string): Record<string, string>;
  addWorkNoteDirectly(table: string, sysIdOrNumber: string, text: string, actor?: string): void;
  addCommentDirectly(table: string, sysIdOrNumber: string, text: string, actor?: string): void;
  deleteRecordDirectly(table: string, sysIdOrNumber: string): void;
  setRoles(userName: string, roles: string[]): void;
  setHibernating(hibernating: boolean): void;
  setRateLimit(rule: RateLimitRule | null): void;
  advanceClock(ms: number): void;
  setPriorityWrites(mode: PriorityWrites): void;
  setRequireCloseFields(required: boolean): void;
  setInvalidQueryReturnsNoRows(value: boolean): void;
  setConsent(decision: 'approve' | 'deny'): void;
  issueTokensDirectly(userName?: string, scopes?: string[]): { access_token: string; refresh_token: string; expires_in: number };
  configureOutbound(config: OutboundConfig | null): void;
  setDropDeliveries(drop: boolean): void;
  deliveries(): OutboundDelivery[];
  waitForDeliveries(): Promise<void>;
  /** Back to the seeded state: records, journal, tokens, requests, deliveries, rate windows, faults, switches. */
  reset(): void;
}

export interface AdminDeps {
  store: ServiceNowStore;
  requests: RequestLog;
  faults: FaultInjector;
  initialFaults: FaultConfig;
  limiter: RateLimiter;
  initialRule: RateLimitRule | null;
  oauth: OAuthState;
  outbound: OutboundDispatcher;
  initialOutbound: OutboundConfig | null;
  switches: { hibernating: boolean; invalidQueryReturnsNoRows: boolean };
  initialSwitches: { hibernating: boolean; invalidQueryReturnsNoRows: boolean; priorityWrites: PriorityWrites; requireCloseFields: boolean };
  integrationUser: string;
}

const SYS_ID_SEGMENT = /\/[0-9a-f]{32}(?=$|\/)/;

export function endpointOf(method: string, path: string): string {
  const normalized = path.replace(/^\/api\/now\/v[12]\/table\//, '/api/now/table/').replace(SYS_ID_SEGMENT, '/{sys_id}');
  return `${method} ${normalized}`;
}

export function createAdmin(deps: AdminDeps): ServiceNowAdmin {
  const { store } = deps;
  const defaultActor = 'beth.anglin';
  const mustFind = (table: string, ref: string): SnRecord => {
    const record = store.find(table, ref);
    if (!record) throw new Error(`no ${table} record ${ref}`);
    return record;
  };
  const copy = (record: SnRecord): Record<string, string> => ({ ...record.values });
  const admin: ServiceNowAdmin = {
    store,
    requests: deps.requests,
    faults: deps.faults,
    defaultActor,
    configureFaults: (patch) => deps.faults.configure(patch),
    received: (filter = {}) =>
      deps.requests.entries.filter((e) => (!filter.method || e.method === filter.method.toUpperCase()) && (!filter.path || e.path.includes(filter.path))),
    callCounts() {
      const counts: Record<string, number> = {};
      for (const entry of deps.requests.entries) {
        const key = endpointOf(entry.method, entry.path);
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    },
    records: (table = 'incident') => store.list(table).map(copy),
    record(table, ref) {
      const record = store.find(table, ref);
      return record ? copy(record) : undefined;
    },
    journal: (table, ref) => store.journal(mustFind(table, ref).values.sys_id ?? '').map(copy),
    insertRecordDirectly: (table, values, actor = defaultActor) => copy(store.write(table, null, values, actor).record),
    updateRecordDirectly: (table, ref, values, actor = defaultActor) => copy(store.write(table, mustFind(table, ref), values, actor).record),
    setStateDirectly: (table, ref, state, extra = {}, actor = defaultActor) =>
      copy(store.write(table, mustFind(table, ref), { ...extra, state }, actor, { inputDisplayValue: true }).record),
    addWorkNoteDirectly(table, ref, text, actor = defaultActor) {
      store.write(table, mustFind(table, ref), { work_notes: text }, actor);
    },
    addCommentDirectly(table, ref, text, actor = defaultActor) {
      store.write(table, mustFind(table, ref), { comments: text }, actor);
    },
    deleteRecordDirectly(table, ref) {
      store.remove(table, mustFind(table, ref));
    },
    setRoles(userName, roles) {
      const account = store.accounts.get(userName);
      if (!account) throw new Error(`no user ${userName}`);
      account.roles = [...roles];
    },
    setHibernating(hibernating) {
      deps.switches.hibernating = hibernating;
    },
    setRateLimit: (rule) => deps.limiter.set(rule),
    advanceClock: (ms) => store.clock.advance(ms),
    setPriorityWrites(mode) {
      store.priorityWrites = mode;
    },
    setRequireCloseFields(required) {
      store.requireCloseFields = required;
    },
    setInvalidQueryReturnsNoRows(value) {
      deps.switches.invalidQueryReturnsNoRows = value;
    },
    setConsent(decision) {
      deps.oauth.consent = decision;
    },
    issueTokensDirectly: (userName = deps.integrationUser, scopes) => deps.oauth.issue(userName, scopes),
    configureOutbound: (config) => deps.outbound.configure(config),
    setDropDeliveries: (drop) => deps.outbound.setDrop(drop),
    deliveries: () => [...deps.outbound.deliveries],
    waitForDeliveries: () => deps.outbound.idle(),
    reset() {
      store.reset();
      deps.oauth.reset();
      deps.requests.clear();
      deps.outbound.deliveries.length = 0;
      deps.outbound.configure(deps.initialOutbound);
      deps.limiter.set(deps.initialRule);
      deps.faults.configure(deps.initialFaults);
      deps.switches.hibernating = deps.initialSwitches.hibernating;
      deps.switches.invalidQueryReturnsNoRows = deps.initialSwitches.invalidQueryReturnsNoRows;
      store.priorityWrites = deps.initialSwitches.priorityWrites;
      store.requireCloseFields = deps.initialSwitches.requireCloseFields;
    },
  };
  return admin;
}

function jsonBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (typeof body === 'object' && body !== null) return body as Record<string, unknown>;
  if (typeof body === 'string' && body.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return {};
}

/** `/_admin/...` over HTTP, for the launcher and for poking at a running demo. */
export function adminRoutes(app: FastifyInstance, admin: ServiceNowAdmin, state: () => Record<string, unknown>): void {
  const guard = async (work: () => unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> => {
    try {
      return { ok: true, value: await work() };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  };
  const answer = async (reply: import('fastify').FastifyReply, work: () => unknown, okStatus = 200) => {
    const outcome = await guard(work);
    return outcome.ok ? reply.code(okStatus).send(outcome.value ?? { ok: true }) : reply.code(400).send({ error: outcome.error });
  };
  const actorOf = (body: Record<string, unknown>): string | undefined => (typeof body.actor === 'string' ? body.actor : undefined);
  const params = (request: FastifyRequest) => request.params as { table: string; id: string };

  app.get('/_admin/state', async () => state());
  app.get('/_admin/records/:table', async (request) => admin.records(params(request).table));
  app.get('/_admin/records/:table/:id', async (request, reply) =>
    answer(reply, () => {
      const record = admin.record(params(request).table, params(request).id);
      if (!record) throw new Error('no such record');
      return record;
    }),
  );
  app.get('/_admin/records/:table/:id/journal', async (request, reply) => answer(reply, () => admin.journal(params(request).table, params(request).id)));
  app.post('/_admin/records/:table', async (request, reply) => {
    const body = jsonBody(request);
    const { actor: _actor, ...values } = body;
    return answer(reply, () => admin.insertRecordDirectly(params(request).table, values, actorOf(body)), 201);
  });
  app.patch('/_admin/records/:table/:id', async (request, reply) => {
    const body = jsonBody(request);
    const { actor: _actor, ...values } = body;
    return answer(reply, () => admin.updateRecordDirectly(params(request).table, params(request).id, values, actorOf(body)));
  });
  app.post('/_admin/records/:table/:id/state', async (request, reply) => {
    const body = jsonBody(request);
    const { actor: _actor, state: target, ...extra } = body;
    return answer(reply, () => admin.setStateDirectly(params(request).table, params(request).id, String(target ?? ''), extra, actorOf(body)));
  });
  app.post('/_admin/records/:table/:id/work_notes', async (request, reply) => {
    const body = jsonBody(request);
    return answer(reply, () => admin.addWorkNoteDirectly(params(request).table, params(request).id, String(body.text ?? ''), actorOf(body)));
  });
  app.post('/_admin/records/:table/:id/comments', async (request, reply) => {
    const body = jsonBody(request);
    return answer(reply, () => admin.addCommentDirectly(params(request).table, params(request).id, String(body.text ?? ''), actorOf(body)));
  });
  app.delete('/_admin/records/:table/:id', async (request, reply) => answer(reply, () => admin.deleteRecordDirectly(params(request).table, params(request).id)));
  app.get('/_admin/calls', async () => admin.callCounts());
  app.get('/_admin/requests', async () => admin.requests.entries);
  app.delete('/_admin/requests', async (_request, reply) => {
    admin.requests.clear();
    return reply.code(204).send();
  });
  app.post('/_admin/faults', async (request) => {
    admin.configureFaults(jsonBody(request) as Partial<FaultConfig>);
    return admin.faults.config;
  });
  app.post('/_admin/hibernate', async (request) => {
    admin.setHibernating(jsonBody(request).hibernating !== false);
    return state();
  });
  app.post('/_admin/rate-limit', async (request) => {
    const body = jsonBody(request);
    admin.setRateLimit(typeof body.limit === 'number' ? (body as unknown as RateLimitRule) : null);
    return state();
  });
  app.post('/_admin/clock', async (request) => {
    const ms = Number(jsonBody(request).advanceMs ?? 0);
    if (Number.isFinite(ms)) admin.advanceClock(ms);
    return { now: admin.store.clock.now() };
  });
  app.post('/_admin/outbound', async (request) => {
    const body = jsonBody(request);
    admin.configureOutbound(typeof body.url === 'string' ? (body as unknown as OutboundConfig) : null);
    return state();
  });
  app.get('/_admin/outbound/deliveries', async () => admin.deliveries());
  app.post('/_admin/reset', async () => {
    admin.reset();
    return state();
  });
}
