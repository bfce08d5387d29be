/**
 * ServiceNow states ⇄ our internal states (src/domain/states.ts). Incident `state` values
 * (../../shared/PROVIDER-FACTS.md §5): 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed,
 * 8 Canceled (`incident_state` mirrors `state`).
 *
 * Reading (ServiceNow → ours): a connection's `status` row whose source is the state's value or label
 * wins; then the incident table below; then the labels every task table shares (Open, Work in
 * Progress, Closed Complete, …); then the connection's `default` row (seed 003: it cannot be
 * removed), else backlog. On Hold counts as in progress: work started and waits on someone.
 *
 * Writing (ours → ServiceNow): a `status` row whose target is the internal state and whose source is
 * a state value (a number) or an incident label wins; else backlog/todo → 1 New, in_progress and
 * in_review → 2 In Progress (incidents have no review state), done → 6 Resolved with `close_code`
 * and `close_notes`, wont_fix → 8 Canceled with `close_notes`. Other tables without rows get the base
 * `task` states (1 Open, 2 Work in Progress, 3 Closed Complete, 7 Closed Skipped). The close code is the connection's
 * `close_code` row for the internal state, else `Solved (Permanently)` (a base-system choice; newer
 * releases name theirs differently, e.g. `Solution provided`: set the row to match the instance).
 */
import type { MappingRow } from '../../domain/mapping.ts';
import { type InternalState, isInternalState } from '../../domain/states.ts';

export const INCIDENT_STATES = { '1': 'New', '2': 'In Progress', '3': 'On Hold', '6': 'Resolved', '7': 'Closed', '8': 'Canceled' } as const;
export type IncidentStateValue = keyof typeof INCIDENT_STATES;

const incidentToInternal: Record<IncidentStateValue, InternalState> = {
  '1': 'todo',
  '2': 'in_progress',
  '3': 'in_progress',
  '6': 'done',
  '7': 'done',
  '8': 'wont_fix',
};

/** Labels of the base `task` states and of incidents, for tables whose values differ. */
const labelToInternal: Record<string, InternalState> = {
  new: 'todo',
  open: 'todo',
  pending: 'backlog',
  'in progress': 'in_progress',
  'work in progress': 'in_progress',
  'on hold': 'in_progress',
  resolved: 'done',
  closed: 'done',
  'closed complete': 'done',
  'closed incomplete': 'wont_fix',
  'closed skipped': 'wont_fix',
  canceled: 'wont_fix',
  cancelled: 'wont_fix',
};

export const DEFAULT_CLOSE_CODE = 'Solved (Permanently)';

const norm = (value: string) => value.trim().toLowerCase();

function row(rows: readonly MappingRow[], kind: string, source: string): MappingRow | undefined {
  const wanted = norm(source);
  return rows.find((r) => r.kind === kind && norm(r.source) === wanted);
}

/**
 * Our internal state for a record's state. `value` is the raw state (`"6"`), `label` its display value
 * when known (`"Resolved"`); `table` says whether the incident codes apply.
 */
export function internalStateOf(rows: readonly MappingRow[], state: { value: string; label?: string | null }, table = 'incident'): InternalState {
  for (const source of [state.value, state.label ?? '']) {
    if (source === '') continue;
    const configured = row(rows, 'status', source)?.target;
    if (configured && isInternalState(configured)) return configured;
  }
  if (table === 'incident' && state.value in incidentToInternal) return incidentToInternal[state.value as IncidentStateValue];
  const known = state.label ? labelToInternal[norm(state.label)] : undefined;
  if (known) return known;
  const fallback = row(rows, 'status', 'default')?.target;
  return fallback && isInternalState(fallback) ? fallback : 'backlog';
}

export interface StateChange {
  /** The fields to PATCH: state (and incident_state on incidents), plus close fields when closing. */
  fields: Record<string, string>;
  state: string;
}

const internalToIncident: Record<InternalState, IncidentStateValue> = {
  backlog: '1',
  todo: '1',
  in_progress: '2',
  in_review: '2',
  done: '6',
  wont_fix: '8',
};

/** The base `task` states (-5 Pending, 1 Open, 2 Work in Progress, 3 Closed Complete, 4 Closed Incomplete, 7 Closed Skipped), for other tables without rows. */
const internalToTask: Record<InternalState, string> = {
  backlog: '1',
  todo: '1',
  in_progress: '2',
  in_review: '2',
  done: '3',
  wont_fix: '7',
};

const incidentLabelToValue: Record<string, IncidentStateValue> = Object.fromEntries(
  Object.entries(INCIDENT_STATES).map(([value, label]) => [label.toLowerCase(), value as IncidentStateValue]),
);

/**
 * The fields that move a record to `internal`. `closeNotes` is written when resolving or canceling
 * (ServiceNow's base data policies commonly require both close fields to resolve).
 */
export function stateChangeFor(rows: readonly MappingRow[], internal: InternalState, options: { table?: string; closeNotes?: string } = {}): StateChange {
  const table = options.table ?? 'incident';
  let state: string | undefined;
  for (const candidate of rows.filter((r) => r.kind === 'status' && r.target === internal && norm(r.source) !== 'default')) {
    const source = candidate.source.trim();
    if (/^-?\d+$/.test(source)) {
      state = source;
      break;
    }
    const byLabel = table === 'incident' ? incidentLabelToValue[norm(source)] : undefined;
    if (byLabel) {
      state = byLabel;
      break;
    }
  }
  state ??= (table === 'incident' ? internalToIncident : internalToTask)[internal];
  const fields: Record<string, string> = { state };
  if (table === 'incident') fields.incident_state = state;
  const closing = table === 'incident' ? state === '6' || state === '7' || state === '8' : internal === 'done' || internal === 'wont_fix';
  if (closing) {
    const notes = options.closeNotes?.trim() || (internal === 'done' ? 'Resolved: the finding is fixed.' : 'Canceled: the finding will not be fixed.');
    fields.close_notes = notes;
    if (table !== 'incident' || state !== '8') fields.close_code = row(rows, 'close_code', internal)?.target ?? row(rows, 'close_code', 'default')?.target ?? DEFAULT_CLOSE_CODE;
  }
  return { fields, state };
}
