/**
 * Pure mapping rules between our model and a ticketing system's. Rows configured on a connection win;
 * then built-in conventions; then the connection's `default` row (seed 003: status default → backlog,
 * priority default → medium). Names compare case-insensitively, as people type them in the UI.
 */
import type { Severity } from './severity.ts';
import { type InternalState, isInternalState } from './states.ts';

export type { InternalState } from './states.ts';
export type { Severity } from './severity.ts';

/**
 * The kinds of mapping row (the database's mappings_kind_ck lists the same). Which kinds a connection
 * takes is its ticketing provider's (TicketingProvider.mappingKinds): `close_code` and `assignee` are
 * ServiceNow's, `project` and `issue_type` Jira's.
 */
export const mappingKinds = ['status', 'priority', 'project', 'issue_type', 'assignment_group', 'close_code', 'assignee'] as const;
export type MappingKind = (typeof mappingKinds)[number];

export interface MappingRow {
  kind: string;
  source: string;
  target: string;
}

/** Seed 000's priority mapping, plus info → Lowest. */
export const defaultPriorityBySeverity: Record<Severity, string> = {
  critical: 'Blocker',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  info: 'Lowest',
};

const knownStates: Record<string, InternalState> = {
  backlog: 'backlog',
  open: 'todo',
  new: 'todo',
  'to do': 'todo',
  todo: 'todo',
  'selected for development': 'todo',
  'in progress': 'in_progress',
  'work in progress': 'in_progress',
  'in development': 'in_progress',
  'in review': 'in_review',
  'code review': 'in_review',
  'in qa': 'in_review',
  'in testing': 'in_review',
  done: 'done',
  closed: 'done',
  resolved: 'done',
  complete: 'done',
  fixed: 'done',
  "won't do": 'wont_fix',
  "won't fix": 'wont_fix',
  'wont fix': 'wont_fix',
  rejected: 'wont_fix',
  declined: 'wont_fix',
  cancelled: 'wont_fix',
  canceled: 'wont_fix',
};

function find(rows: MappingRow[], kind: string, source: string): string | undefined {
  const wanted = source.trim().toLowerCase();
  return rows.find((row) => row.kind === kind && row.source.trim().toLowerCase() === wanted)?.target;
}

/** The provider priority name for a severity. */
export function priorityFor(rows: MappingRow[], severity: Severity): string {
  return find(rows, 'priority', severity) ?? defaultPriorityBySeverity[severity] ?? find(rows, 'priority', 'default') ?? 'Medium';
}

/**
 * Picks the provider's own spelling of a priority name (a mapping row may say "medium"); null when
 * the provider has no such priority, so the caller can leave the field out rather than fail.
 */
export function matchPriority(wanted: string, available: { name: string }[]): string | null {
  const lower = wanted.toLowerCase();
  return available.find((priority) => priority.name.toLowerCase() === lower)?.name ?? null;
}

/** Our internal state for an external status (and, on Jira, its status category key). */
export function stateFor(rows: MappingRow[], statusName: string, categoryKey?: string | null): InternalState {
  const configured = find(rows, 'status', statusName);
  if (configured && isInternalState(configured)) return configured;
  const known = knownStates[statusName.trim().toLowerCase()];
  if (known) return known;
  if (categoryKey === 'done') return 'done';
  if (categoryKey === 'indeterminate') return 'in_progress';
  const fallback = find(rows, 'status', 'default');
  return fallback && isInternalState(fallback) ? fallback : 'backlog';
}

export function projectKeyFor(rows: MappingRow[]): string | null {
  return find(rows, 'project', 'default') ?? null;
}

export function issueTypeFor(rows: MappingRow[], kind: 'vulnerability' | 'violation'): string {
  return find(rows, 'issue_type', kind) ?? find(rows, 'issue_type', 'default') ?? 'Bug';
}
