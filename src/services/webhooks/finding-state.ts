/**
 * A finding follows its ticket: the one rule for moving a finding when its ticket's internal state
 * changes (a webhook now; the closed loop — PR merged → ticket done — and the periodic sync later).
 *
 * - ticket done → the finding is resolved (state done, resolved_at set once);
 * - ticket wont_fix → the finding is wont_fix (a human decision, not a fix: resolved_at stays empty);
 * - any other state on a finding that was done or wont_fix → reopened to that state (resolved_at
 *   cleared, state_reason says why);
 * - otherwise the finding takes the ticket's state.
 * The update is a compare-and-set on the state read, so a concurrent change is not overwritten.
 */
import { and, eq } from 'drizzle-orm';
import type { Orm } from '../../db/database.ts';
import { findings } from '../../db/schema.ts';
import type { InternalState } from '../../domain/states.ts';

export type FindingMove = 'resolved' | 'reopened' | 'wont_fix' | 'updated' | 'unchanged' | 'missing';

export async function moveFindingWithTicket(
  orm: Orm,
  input: { orgId: string; findingId: string; ticketState: InternalState; reason: string },
  now: Date = new Date(),
): Promise<FindingMove> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const [finding] = await orm
      .select({ state: findings.state })
      .from(findings)
      .where(and(eq(findings.orgId, input.orgId), eq(findings.id, input.findingId)));
    if (!finding) return 'missing';
    if (finding.state === input.ticketState) return 'unchanged';
    const closed = finding.state === 'done' || finding.state === 'wont_fix';
    let move: FindingMove;
    let set: Partial<typeof findings.$inferInsert>;
    if (input.ticketState === 'done') {
      move = 'resolved';
      set = { state: 'done', resolvedAt: now, stateReason: input.reason };
    } else if (input.ticketState === 'wont_fix') {
      move = 'wont_fix';
      set = { state: 'wont_fix', resolvedAt: null, stateReason: input.reason };
    } else if (closed) {
      move = 'reopened';
      set = { state: input.ticketState, resolvedAt: null, stateReason: `reopened: ${input.reason}` };
    } else {
      move = 'updated';
      set = { state: input.ticketState, stateReason: input.reason };
    }
    const updated = await orm
      .update(findings)
      .set({ ...set, updatedAt: now })
      .where(and(eq(findings.orgId, input.orgId), eq(findings.id, input.findingId), eq(findings.state, finding.state)))
      .returning({ id: findings.id });
    if (updated.length > 0) return move;
  }
  throw new Error('the finding kept changing while its state was being moved');
}
