/**
 * The finding-level lifecycle of scan imports, in one place: a scan is a snapshot of its target, so
 * when a complete scan has been written, the target's findings it no longer reports are resolved
 * (state `done`, `state_reason` naming the scan, `resolved_at` set), and findings it reports again
 * after they were resolved have been reopened by the upsert (same row, state `backlog`; see
 * src/services/findings.ts). `applyScanTransitions` does the resolving and returns both sets;
 * `publishTransitions` hands them to whoever listens once the import's transaction has committed.
 *
 * What follows a committed scan is `followScanTransitions`, one step per line (each queues durable
 * jobs, nothing calls a provider here): the policy's automatic tickets for new findings, the tickets
 * of resolved findings commented and transitioned to done, the done tickets of reopened findings
 * reopened. The runtime runs it for its own imports (`registerScanFollowUps`), so the API and
 * `import --direct` (which starts a runtime on the database it writes) run the same steps.
 *
 * The hook is where tickets and pull requests follow findings: a listener registered with
 * `onFindingTransitions` gets `{ orgId, target, scanId, partial, created, resolved, reopened }`
 * (finding ids, in batches of at most 500; `orm` is the database written, so a listener of one
 * runtime ignores another runtime's imports in the same process) after commit, never for a dry run or a rolled-back import. Listeners run
 * one after another; a failing listener is logged and does not fail the import (the findings are
 * already written; a listener that must not lose events should enqueue a job).
 */
import { and, eq, inArray, ne, notInArray, sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import type { Orm } from '../../db/database.ts';
import { findings, scanTargetFindings, tickets } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { applyPolicyActions } from '../policies/auto-actions.ts';
import type { UpsertedFinding } from '../findings.ts';
import { queueTicketUpdates } from '../tickets/ticket-updates.ts';
import { queueTicketReopens } from '../webhooks/closed-loop.ts';

export interface FindingTransitions {
  orgId: string;
  target: string;
  scanId: string;
  /** The database the import wrote to. */
  orm: Orm;
  /** A partial scan resolves nothing (and policies open nothing for it). */
  partial: boolean;
  /** Findings this scan reported for the first time (new rows). */
  created: string[];
  /** Findings this scan resolved (no longer detected). */
  resolved: string[];
  /** Findings this scan reported again after they were resolved (reopened). */
  reopened: string[];
  /** Known findings whose severity, title or due date this scan changed: their tickets get `update` jobs. */
  changed?: { id: string; ticketChanges: UpsertedFinding['ticketChanges'] }[];
}

export type TransitionListener = (transitions: FindingTransitions) => void | Promise<void>;

const listeners = new Set<TransitionListener>();
const BATCH = 500;

/** Registers a listener for resolved/reopened findings; returns the function that removes it. */
export function onFindingTransitions(listener: TransitionListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function resolvedReason(scanId: string, target: string): string {
  return `resolved: no longer detected in scan ${scanId} of ${target}`;
}

/**
 * Inside the import's transaction, after every reported finding was written and linked to
 * `scanId`: resolves the target's findings that this scan did not report (unless `partial`), and
 * records one audit event per kind of transition. `reopened` are the ids the upserts reported.
 */
export async function applyScanTransitions(
  tx: Orm,
  options: { orgId: string; target: string; scanId: string; partial: boolean; reopened: string[]; created?: string[]; actor: string },
): Promise<FindingTransitions> {
  const { orgId, target, scanId } = options;
  let resolved: string[] = [];
  if (!options.partial) {
    const absent = tx
      .select({ id: scanTargetFindings.findingId })
      .from(scanTargetFindings)
      .where(and(eq(scanTargetFindings.orgId, orgId), eq(scanTargetFindings.target, target), ne(scanTargetFindings.lastScanId, scanId)));
    const rows = await tx
      .update(findings)
      .set({ state: 'done', stateReason: resolvedReason(scanId, target), resolvedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(findings.orgId, orgId), inArray(findings.id, absent), notInArray(findings.state, ['done', 'wont_fix'])))
      .returning({ id: findings.id });
    resolved = rows.map((row) => row.id);
  }
  for (const [action, ids] of [
    ['findings.resolved', resolved],
    ['findings.reopened', options.reopened],
  ] as const) {
    if (ids.length === 0) continue;
    await recordAudit(tx, {
      orgId,
      actor: options.actor,
      action,
      targetType: 'scan',
      targetId: scanId,
      status: 'ok',
      detail: { target, count: ids.length, findings: ids.slice(0, 100) },
    });
  }
  return { orgId, target, scanId, orm: tx, partial: options.partial, created: options.created ?? [], resolved, reopened: options.reopened };
}

/** After commit: every listener gets the transitions, in batches of at most 500 ids. */
export async function publishTransitions(transitions: FindingTransitions, onError: (error: unknown) => void): Promise<void> {
  const { created, resolved, reopened, changed = [] } = transitions;
  if (listeners.size === 0 || (created.length === 0 && resolved.length === 0 && reopened.length === 0 && changed.length === 0)) return;
  const batches = Math.max(Math.ceil(created.length / BATCH), Math.ceil(resolved.length / BATCH), Math.ceil(reopened.length / BATCH), Math.ceil(changed.length / BATCH));
  for (let i = 0; i < batches; i++) {
    const batch = {
      ...transitions,
      created: created.slice(i * BATCH, (i + 1) * BATCH),
      resolved: transitions.resolved.slice(i * BATCH, (i + 1) * BATCH),
      reopened: transitions.reopened.slice(i * BATCH, (i + 1) * BATCH),
      changed: changed.slice(i * BATCH, (i + 1) * BATCH),
    };
    for (const listener of listeners) {
      try {
        await listener(batch);
      } catch (error) {
        onError(error);
      }
    }
  }
}

export function resolvedCommentText(scanId: string, target: string): string {
  return `Resolved: no longer detected in scan ${scanId} of ${target}.`;
}

/**
 * The tickets of findings a complete scan resolved: a `transition` job each, to done through the
 * connection's mapping (Jira: the workflow walked to the done category; ServiceNow: the mapped
 * resolved state with close notes), commenting "no longer detected in scan X" once, recorded as our
 * own write for the webhook loop guard (performTransition). Only tickets the provider has
 * (`created`) and not closed as won't fix; the job does nothing if the finding came back first.
 */
export async function queueScanResolutions(context: AppContext, transitions: FindingTransitions): Promise<number> {
  if (transitions.partial || transitions.resolved.length === 0) return 0;
  const linked = await context.db.orm
    .select({ id: tickets.id })
    .from(tickets)
    .where(and(eq(tickets.orgId, transitions.orgId), inArray(tickets.findingId, transitions.resolved), eq(tickets.syncState, 'created'), ne(tickets.state, 'wont_fix')));
  const reason = resolvedReason(transitions.scanId, transitions.target);
  for (const ticket of linked) {
    await context.queue.enqueue('transition', {
      org_id: transitions.orgId,
      ticket_id: ticket.id,
      to: 'done',
      reason,
      comment: { text: resolvedCommentText(transitions.scanId, transitions.target) },
      once_key: `scan-resolved:${transitions.scanId}`,
      if_finding: 'resolved',
    });
  }
  return linked.length;
}

export interface ScanFollowUps {
  /** `create` jobs queued for the policy's automatic tickets. */
  tickets: number;
  /** `transition` jobs to done for tickets of resolved findings. */
  resolvedTickets: number;
  /** `transition` jobs reopening done tickets of reopened findings. */
  reopenedTickets: number;
}

/** Everything that follows a committed (not dry-run) import, for the API and the CLI alike. */
export async function followScanTransitions(context: AppContext, transitions: FindingTransitions): Promise<ScanFollowUps> {
  const { tickets: queued } = await applyPolicyActions(context, transitions);
  const resolvedTickets = await queueScanResolutions(context, transitions);
  const reopenedTickets = await queueTicketReopens(context, transitions.orgId, transitions.reopened, `scan ${transitions.scanId} of ${transitions.target}`);
  await queueTicketUpdates(context, transitions.orgId, transitions.changed ?? [], `scan ${transitions.scanId} of ${transitions.target} changed the finding`);
  return { tickets: queued, resolvedTickets, reopenedTickets };
}

/** Runs the follow-ups for this runtime's imports (another runtime's database in the same process is ignored). */
export function registerScanFollowUps(context: AppContext): () => Promise<void> {
  const stop = onFindingTransitions(async (transitions) => {
    if (transitions.orm !== context.db.orm) return;
    const result = await followScanTransitions(context, transitions);
    if (result.tickets > 0 || result.resolvedTickets > 0 || result.reopenedTickets > 0) {
      context.logger.info({ scan_id: transitions.scanId, tickets: result.tickets, resolved_tickets: result.resolvedTickets, reopened_tickets: result.reopenedTickets }, 'scan import follow-ups queued');
    }
  });
  return async () => {
    stop();
  };
}
