/**
 * The contract every ticketing provider passes (our updaters' contract and Hono's common.case.test.ts
 * are the model): run it from a `<provider>.test.ts` with a factory that starts the provider's
 * simulator and builds the client through the provider registry. It drives the TicketingClient
 * interface only (src/providers/ticketing), so the ticket services can rely on exactly what is
 * checked here: adding a ticketing provider means one folder, one registry line and one such file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InternalState, type MappingRow, stateFor } from '../../../src/domain/mapping.ts';
import { CodedError } from '../../../src/errors/coded-error.ts';
import type { TicketDraft, TicketingClient, TicketOptions, TicketSubject } from '../../../src/providers/ticketing/index.ts';

export interface RecordedCall {
  method: string;
  /** Path only (no query), as the provider's server saw it. */
  path: string;
  body: unknown;
}

export interface TicketingFixture {
  /** Built through the registry (ticketingFor(provider).create), on the provider's simulator. */
  ticketing: TicketingClient;
  /** The registry id it was built for. */
  provider: string;
  options: TicketOptions;
  /** The connection's mapping rows (states, priorities) as a user would configure them. */
  mapping: MappingRow[];
  /** A create payload the provider refuses for that item alone (draftFromPayload adds our dedupe key). */
  refusedPayload(): Record<string, unknown>;
  /** Makes the provider's search lag behind writes by `ms` (providers whose search lags). */
  setSearchLag?(ms: number): void;
  /** Fields updateFields sets, and the priority the ticket then reads back with. */
  update: { fields: Record<string, unknown>; priority: string };
  /** Internal states reachable one after another from a new ticket, ending in `done`. */
  walk: InternalState[];
  /** A state the new ticket's workflow cannot reach in one step, when the provider has such limits. */
  unreachable?: InternalState;
  /** The provider's own record of comments (or work notes) and links on a ticket. */
  comments(key: string): Promise<string[]>;
  links(key: string): Promise<string[]>;
  /** Requests the provider received since the last clear (the admin side of the simulator). */
  requests(): RecordedCall[];
  clearRequests(): void;
  close(): Promise<void>;
}

let serial = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(serial++).toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

function subject(name: string): TicketSubject {
  const fingerprint = unique(`fp-${name}`).replace(/[^a-z0-9-]/g, '');
  return {
    findingId: unique('finding'),
    fingerprint,
    severity: 'high',
    dueDate: null,
    finding: {
      kind: 'vulnerability',
      title: `Prototype pollution in lodash (${name})`,
      description: 'lodash before 4.17.21 allows prototype pollution.',
      severity: 'high',
      ecosystem: 'npm',
      packageName: 'lodash',
      installedVersion: '4.17.15',
      fixedVersion: '4.17.21',
      advisoryIds: ['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm'],
      cvssScore: 7.2,
      repoUrl: 'https://github.com/acme/web',
      manifestPath: 'package.json',
      fingerprint,
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<CodedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CodedError);
  return error as CodedError;
}

export function runTicketingContract(name: string, start: () => Promise<TicketingFixture>): void {
  describe(`ticketing contract: ${name}`, () => {
    let fx: TicketingFixture;
    beforeAll(async () => {
      fx = await start();
    }, 60_000);
    afterAll(async () => {
      await fx?.close();
    });

    async function drafts(count: number, label: string): Promise<TicketDraft[]> {
      const { results } = await fx.ticketing.draft(
        Array.from({ length: count }, (_, index) => subject(`${label}-${index}`)),
        fx.options,
        fx.mapping,
      );
      return results.map((result) => {
        if (!result.ok) throw new Error(`draft failed: ${result.code} ${result.message}`);
        return result.draft;
      });
    }

    async function oneTicket(label: string) {
      const [draft] = await drafts(1, label);
      const [created] = await fx.ticketing.createMany([draft!]);
      if (!created?.ok) throw new Error(`create failed: ${created && !created.ok ? created.error.message : 'no result'}`);
      return { draft: draft!, ref: created.ref };
    }

    it('verifies the credentials once, naming the account', async () => {
      const me = await fx.ticketing.verify();
      expect(me.accountId).toBeTruthy();
      expect(await fx.ticketing.verify()).toEqual(me);
    });

    it('drafts from the domain model: every draft carries its dedupe key, and the description renders the finding', async () => {
      const planned = await drafts(2, 'draft');
      for (const draft of planned) {
        expect(draft.dedupeKey).toBeTruthy();
        expect(JSON.stringify(draft.fields)).toContain(draft.dedupeKey);
      }
      const rendered = JSON.stringify(fx.ticketing.renderDescription(subject('render').finding));
      expect(rendered).toContain('lodash');
      expect(rendered).toContain('CVE-2021-23337');
      expect(rendered).toContain('4.17.21');
    });

    it('creates many with one result per item, in order; a refused item fails alone and certainly created nothing', async () => {
      const good = await drafts(3, 'many');
      const refused = fx.ticketing.draftFromPayload({ findingId: unique('finding'), fingerprint: unique('fp-refused') }, fx.refusedPayload());
      const batch = [good[0]!, refused, good[1]!, good[2]!];
      const results = await fx.ticketing.createMany(batch);
      expect(results).toHaveLength(4);
      const failed = results[1]!;
      expect(failed.ok).toBe(false);
      if (!failed.ok) {
        expect(failed.notCreated).toBe(true);
        expect(failed.error).toBeInstanceOf(CodedError);
        expect((failed.error as CodedError).provider).toBe(fx.provider);
      }
      const created = [results[0]!, results[2]!, results[3]!];
      const keys = new Set<string>();
      for (const result of created) {
        expect(result.ok).toBe(true);
        if (result.ok) {
          expect(result.ref.key).toBeTruthy();
          expect(result.ref.url).toMatch(/^https?:\/\//);
          keys.add(result.ref.key);
        }
      }
      expect(keys.size).toBe(3);
      // A batch larger than one create call is chunked by the provider.
      const large = await drafts(fx.ticketing.capabilities.maxCreateBatch + 2, 'chunked');
      const chunked = await fx.ticketing.createMany(large);
      expect(chunked.filter((result) => result.ok)).toHaveLength(large.length);
    });

    it('finds tickets by dedupe key, also right after a create while search lags (known ids), and nothing for an unused key', async () => {
      const lagging = fx.ticketing.capabilities.searchLags && fx.setSearchLag;
      if (lagging) fx.setSearchLag!(60_000);
      try {
        const { draft, ref } = await oneTicket('find');
        const key = { container: draft.container, dedupeKey: draft.dedupeKey };
        if (!fx.ticketing.capabilities.searchLags) {
          expect((await fx.ticketing.findByDedupeKey([key])).get(draft.dedupeKey)?.key).toBe(ref.key);
        } else if (lagging) {
          // The lagging search alone does not see it yet: this is why exactly-once waits out consistencyWindowMs.
          expect((await fx.ticketing.findByDedupeKey([key])).has(draft.dedupeKey)).toBe(false);
          expect(fx.ticketing.consistencyWindowMs).toBeGreaterThan(0);
        }
        const found = await fx.ticketing.findByDedupeKey([key, { container: draft.container, dedupeKey: unique('fp-unused') }], { knownIds: [ref.id] });
        expect(found.get(draft.dedupeKey)).toEqual(ref);
        expect(found.size).toBe(1);
      } finally {
        if (lagging) fx.setSearchLag!(0);
      }
    });

    it('reads a ticket: status with its mapping hint, priority, last update', async () => {
      const { ref } = await oneTicket('get');
      const state = await fx.ticketing.get(ref.key);
      expect(state.ref).toEqual(ref);
      expect(state.status.name).toBeTruthy();
      expect(stateFor(fx.mapping, state.status.name, state.status.category)).not.toBe('done');
      expect(state.priority).toBeTruthy();
      expect(state.updated).toBeTruthy();
      await rejection(fx.ticketing.get('NOPE-999999'));
    });

    it('updates fields', async () => {
      const { ref } = await oneTicket('update');
      await fx.ticketing.updateFields(ref.key, fx.update.fields);
      expect((await fx.ticketing.get(ref.key)).priority).toBe(fx.update.priority);
    });

    it('updates from the finding: the severity’s mapped priority (announced before the write, as the ticket then reads) and the summary', async () => {
      const { ref } = await oneTicket('update-from');
      const changed = { ...subject('update-from'), severity: 'critical' as const };
      const announced: (string | null)[] = [];
      const written = await fx.ticketing.updateFromFinding(ref.key, changed, ['priority', 'summary'], fx.mapping, {
        beforeWrite: async ({ priority }) => {
          announced.push(priority);
        },
      });
      const after = await fx.ticketing.get(ref.key);
      expect(written.priority).toBeTruthy();
      expect(after.priority).toBe(written.priority);
      expect(announced).toEqual([written.priority]);
      // Only the summary: nothing to say about priority.
      expect(await fx.ticketing.updateFromFinding(ref.key, changed, ['summary'], fx.mapping)).toEqual({ priority: null });
    });

    it('transitions by internal state through the mapping, idempotently; an unreachable state is TRANSITION_NOT_AVAILABLE', async () => {
      const { ref } = await oneTicket('transition');
      if (fx.unreachable) {
        const error = await rejection(fx.ticketing.transition(ref.key, fx.unreachable, fx.mapping));
        expect(error.code).toBe('TRANSITION_NOT_AVAILABLE');
        expect(error.provider).toBe(fx.provider);
      }
      for (const to of fx.walk) {
        const moved = await fx.ticketing.transition(ref.key, to, fx.mapping);
        expect(moved.changed).toBe(true);
        const state = await fx.ticketing.get(ref.key);
        expect(state.status.name).toBe(moved.status);
        expect(stateFor(fx.mapping, state.status.name, state.status.category)).toBe(to);
      }
      const again = await fx.ticketing.transition(ref.key, fx.walk.at(-1)!, fx.mapping);
      expect(again.changed).toBe(false);
    });

    it('lists our tickets changed since a time (the periodic sync), with their current status, bounded by the limit', async () => {
      const since = new Date(Date.now() - 60_000);
      const { ref } = await oneTicket('changed');
      const moved = await fx.ticketing.transition(ref.key, fx.walk[0]!, fx.mapping);
      const changed = await fx.ticketing.listChangedSince(since, 500);
      const mine = changed.find((state) => state.ref.id === ref.id);
      expect(mine?.ref).toEqual(ref);
      expect(mine?.status.name).toBe(moved.status);
      expect(mine?.updated).toBeTruthy();
      expect((await fx.ticketing.listChangedSince(since, 1)).length).toBe(1);
      expect(changed.every((state) => state.updated !== null)).toBe(true);
      // Nothing changed in the future.
      expect(await fx.ticketing.listChangedSince(new Date(Date.now() + 3_600_000), 10)).toEqual([]);
    });

    it('comments; with a once-key a comment is posted once however often it is asked', async () => {
      const { ref } = await oneTicket('comment');
      const plain = await fx.ticketing.comment(ref.key, { text: 'A plain comment' });
      expect(plain.posted).toBe(true);
      const text = `Fix PR ${unique('pr')}`;
      const first = await fx.ticketing.comment(ref.key, { text, links: [{ text: 'the PR', url: 'https://github.com/acme/web/pull/7' }] }, { onceKey: 'pr:7' });
      const second = await fx.ticketing.comment(ref.key, { text, links: [{ text: 'the PR', url: 'https://github.com/acme/web/pull/7' }] }, { onceKey: 'pr:7' });
      expect(first.posted).toBe(true);
      expect(second.posted).toBe(false);
      const comments = await fx.comments(ref.key);
      expect(comments.filter((comment) => comment.includes(text))).toHaveLength(1);
      expect(comments.some((comment) => comment.includes('A plain comment'))).toBe(true);
    });

    it('links a URL; linking it again replaces the link', async () => {
      const { ref } = await oneTicket('link');
      const url = `https://github.com/acme/web/pull/${Math.floor(Math.random() * 1e6)}`;
      await fx.ticketing.linkUrl(ref.key, { url, title: 'acme/web#1: bump lodash', summary: 'Fix pull request' });
      await fx.ticketing.linkUrl(ref.key, { url, title: 'acme/web#1: bump lodash to 4.17.21' });
      expect((await fx.links(ref.key)).filter((link) => link === url)).toHaveLength(1);
    });

    it('previews exactly the create requests createMany sends (method, URL, body), secrets masked', async () => {
      for (const count of [1, fx.ticketing.capabilities.maxCreateBatch + 1]) {
        const planned = await drafts(count, `preview-${count}`);
        const previews = fx.ticketing.previewRequests(planned);
        for (const preview of previews) expect(String(preview.headers.Authorization ?? preview.headers.authorization)).toMatch(/\*\*\*$/);
        fx.clearRequests();
        const results = await fx.ticketing.createMany(planned);
        expect(results.every((result) => result.ok)).toBe(true);
        const sent = fx.requests().filter((call) => call.method === 'POST');
        expect(sent.map((call) => ({ method: call.method, path: call.path, body: call.body }))).toEqual(
          previews.map((preview) => ({ method: preview.method, path: new URL(preview.url).pathname, body: preview.body })),
        );
      }
    });
  });
}
