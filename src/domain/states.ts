/**
 * Our internal states of a finding and of its tickets (SPEC section 2): the one list the storage
 * check constraints, the API schemas, the status mappings and the sync rules all use. A provider's
 * own status names become one of these through the mapping rules in ./mapping.ts.
 */
export const internalStates = ['backlog', 'todo', 'in_progress', 'in_review', 'done', 'wont_fix'] as const;

export type InternalState = (typeof internalStates)[number];

export function isInternalState(value: string): value is InternalState {
  return (internalStates as readonly string[]).includes(value);
}
