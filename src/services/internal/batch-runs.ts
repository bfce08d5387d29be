/**
 * Large batches of `POST /internal/create-issues-and-prs` (over 100 items), answered 202 with a run:
 * - on stored connections only (no credential in the request), the items become child jobs of a
 *   queued run, a chunk each: they survive a restart and resume on any worker;
 * - with request credentials, which are never stored or queued, the batch runs in this process:
 *   bounded (RUNS_IN_PROCESS_MAX at once; more answer 429) and heartbeated, so a crash ends the run
 *   `failed` with the reason within three heartbeats instead of leaving it `running`.
 */
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { JobPayload } from '../../jobs/kinds.ts';
import { previewFinding } from '../findings.ts';
import type { Tenant } from '../tenancy.ts';
import { type RunContext, type RunResponse, runCreateIssuesAndPrs, type WorkItem } from './create-issues-and-prs.ts';
import { processOwnerId, RunStore, type RunView } from './runs.ts';

export const RUN_KIND = 'create-issues-and-prs';
/** Items per child job: one Jira bulk call's worth, so progress is visible and a retry is small. */
export const CHUNK_ITEMS = 50;

type StoredWorkItem = JobPayload<'run_items'>['items'][number];

/** A work item that needs no credential from the request: everything on stored connections. */
function storedItem(item: WorkItem): StoredWorkItem | null {
  if (item.jiraRequest) return null;
  if (item.jiraTarget?.credentials) return null;
  if (item.pr?.token) return null;
  if (item.finding.kind !== 'vulnerability') return null;
  return {
    itemId: item.itemId,
    finding: { ...item.finding, advisoryIds: item.finding.advisoryIds ? [...item.finding.advisoryIds] : undefined },
    jiraRequest: null,
    jiraTarget: item.jiraTarget ? { credentials: null, options: item.jiraTarget.options } : null,
    pr: item.pr ? { ...item.pr, token: null } : null,
  } as StoredWorkItem;
}

/** Chunks in input order; items of one grouped PR (one PR per repository) stay in one chunk. */
export function chunkItems<T extends { pr: { group: boolean; repoUrl: string } | null }>(items: T[], size = CHUNK_ITEMS): { first: number; items: T[] }[] {
  const grouped = new Map<string, number[]>();
  items.forEach((item, index) => {
    if (item.pr?.group) grouped.set(item.pr.repoUrl, [...(grouped.get(item.pr.repoUrl) ?? []), index]);
  });
  const chunks: { first: number; items: T[] }[] = [];
  let current: { first: number; items: T[] } | null = null;
  const placed = new Set<number>();
  items.forEach((item, index) => {
    if (placed.has(index)) return;
    const members = item.pr?.group ? grouped.get(item.pr.repoUrl)! : [index];
    if (!current || current.items.length + members.length > size) {
      current = { first: index, items: [] };
      chunks.push(current);
    }
    for (const member of members) {
      placed.add(member);
      current.items.push(items[member]!);
    }
  });
  return chunks;
}

export interface AcceptedRun {
  run: RunView;
}

/** Whether the batch can be queued (no request credential anywhere), and its items in payload form. */
export function storedItems(items: WorkItem[]): StoredWorkItem[] | null {
  const stored: StoredWorkItem[] = [];
  for (const item of items) {
    const converted = storedItem(item);
    if (!converted) return null;
    stored.push(converted);
  }
  return stored;
}

export async function startQueuedRun(
  context: AppContext,
  run: { tenant: Tenant; subject: string | null; fieldPrefix: string },
  items: StoredWorkItem[],
): Promise<RunView> {
  // Refused before anything is accepted, as the synchronous path would (findings are stored by the chunks).
  items.forEach((item, index) => previewFinding(run.tenant.orgId, item.finding, (name) => `${run.fieldPrefix}.${index}.${name}`));
  const store = new RunStore(context.db.orm);
  const chunks = chunkItems(items);
  const created = await store.createQueued(
    run.tenant.orgId,
    RUN_KIND,
    chunks.map((chunk) => ({ first: chunk.first, itemIds: chunk.items.map((item) => item.itemId) })),
  );
  try {
    for (const [index, chunk] of chunks.entries()) {
      const jobId = await context.queue.enqueue(
        'run_items',
        {
          org_id: run.tenant.orgId,
          run_id: created.id,
          chunk: index,
          first: chunk.first,
          subject: run.subject,
          org_slug: run.tenant.orgSlug,
          user_id: run.tenant.userId,
          field_prefix: run.fieldPrefix === 'items' ? 'items' : 'vulnerabilities',
          items: chunk.items,
        },
        { runId: created.id },
      );
      if (jobId) await store.chunkJob(created.id, index, jobId);
    }
  } catch (error) {
    await store.finish(created.id, 'failed', { error: { code: 'INTERNAL', message: 'the batch could not be queued; post it again (nothing is duplicated)' } }, { completed: 0, failed: items.length });
    throw error;
  }
  return created;
}

/**
 * In-process runs each service instance works right now (the bound of RUNS_IN_PROCESS_MAX), by its
 * database handle: one per process in production; tests that start several services in one process
 * each get their own bound, so a run still ending in a closed service does not count against the next.
 */
const inProcessActive = new WeakMap<AppContext['db'], number>();

function inProcessRuns(context: AppContext): number {
  return inProcessActive.get(context.db) ?? 0;
}

function countRun(context: AppContext, delta: 1 | -1): void {
  inProcessActive.set(context.db, inProcessRuns(context) + delta);
}

export async function startInProcessRun(context: AppContext, run: RunContext, items: WorkItem[]): Promise<RunView> {
  const limit = context.config.jobs.inProcessRunsMax;
  if (inProcessRuns(context) >= limit) {
    throw new AppError(
      'RATE_LIMITED',
      `this process already works ${limit} batches with request credentials (RUNS_IN_PROCESS_MAX); retry later, send at most 100 items, or use stored connections (queued and resumable)`,
      { headers: { 'retry-after': String(Math.max(1, context.config.jobs.runHeartbeatSeconds)) } },
    );
  }
  const store = new RunStore(context.db.orm);
  countRun(context, 1);
  let created: RunView;
  try {
    created = await store.createInProcess(run.tenant.orgId, RUN_KIND, items.length, processOwnerId);
  } catch (error) {
    countRun(context, -1);
    throw error;
  }
  const logger = context.logger.child({ run_id: created.id });
  // The credentials stay in this closure only; the run row never holds them.
  void runCreateIssuesAndPrs({ ...run, onProgress: (done, failed) => store.progress(created.id, done, failed) }, items)
    .then(async (result: RunResponse) => {
      const ended = await store.finish(created.id, 'completed', result, { completed: result.summary.total, failed: result.summary.failed });
      if (!ended) logger.warn('the batch finished after its run had been failed (missed heartbeats); its result is not recorded');
    })
    .catch(async (error: unknown) => {
      logger.error({ err: error }, 'batch run failed');
      const body = error instanceof AppError ? { error: { code: error.code, message: error.message, field: error.field } } : { error: { code: 'INTERNAL', message: 'the batch failed; see the server log' } };
      await store.finish(created.id, 'failed', body, { completed: 0, failed: items.length });
    })
    .catch((error: unknown) => logger.error({ err: error }, 'could not record the end of a batch run'))
    .finally(() => {
      countRun(context, -1);
    });
  return created;
}
