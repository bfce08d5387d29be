/**
 * Who a new record is assigned to: the connection's `assignment_group` mapping rows, the request's
 * assignee, else the connection's `assignee` mapping rows (a user by sys_id, user_name or email, always
 * sent as the sys_id: a user's display value is the full name, so no display-value input). A group is a reference to sys_user_group, given in the mapping either as its sys_id (sent
 * as it is) or as its name (sent with `sysparm_input_display_value=true`, so the instance stores the
 * sys_id). ServiceNow does not refuse a reference to nothing: an unknown sys_id is stored as given
 * and an unmatched name leaves the field empty, both silently. So every value is verified against
 * sys_user_group (active groups; users in sys_user) before the first create, and an unknown one refuses the request
 * with a 422 naming the value, rather than filing unassigned incidents.
 */
import type { MappingRow, Severity } from '../../domain/mapping.ts';
import { valueOf, encodeQueryValue } from './client.ts';
import { ServiceNowError } from './errors.ts';
import type { ServiceNowClient } from './types.ts';

export const SYS_ID = /^[0-9a-f]{32}$/;

/** The reference fields we may fill with a display value (a name); any of them set so needs `sysparm_input_display_value=true`. */
export const DISPLAY_INPUT_REFERENCES = ['assignment_group', 'assigned_to'] as const;

/** Whether a create payload carries a reference by name, so it must be sent with `sysparm_input_display_value=true`. */
export function needsDisplayInput(fields: Record<string, unknown>): boolean {
  return DISPLAY_INPUT_REFERENCES.some((name) => typeof fields[name] === 'string' && fields[name] !== '' && !SYS_ID.test(fields[name]));
}

/**
 * The connection's assignment group for a finding: the `assignment_group` row whose source is the
 * severity, else the finding kind (`vulnerability`, `violation`), else `default`; null when none.
 */
export function assignmentGroupFor(rows: readonly MappingRow[], severity: Severity, kind: string): string | null {
  const rowFor = (source: string) => rows.find((r) => r.kind === 'assignment_group' && r.source.trim().toLowerCase() === source)?.target.trim();
  return rowFor(severity) || rowFor(kind) || rowFor('default') || null;
}

/**
 * The connection's default assignee for a finding, keyed like the groups: the `assignee` row whose
 * source is the severity, else the finding kind, else `default`; null when none. Used only when the
 * request names no assignee.
 */
export function assigneeFor(rows: readonly MappingRow[], severity: Severity, kind: string): string | null {
  const rowFor = (source: string) => rows.find((r) => r.kind === 'assignee' && r.source.trim().toLowerCase() === source)?.target.trim();
  return rowFor(severity) || rowFor(kind) || rowFor('default') || null;
}

export interface VerifiedGroup {
  sysId: string;
  name: string;
  /** What goes into the record: the sys_id as given, or the name as given (display-value input). */
  value: string;
}

/** Per-client caches of verified groups and users (one batch). */
export function createAssignmentResolver(client: ServiceNowClient) {
  const groups = new Map<string, Promise<VerifiedGroup>>();
  /** Active users' sys_ids by how they were named (`by:value`); null when there is none. */
  const users = new Map<string, Promise<string | null>>();

  /** The active sys_user named by sys_id, email or user_name; null when there is none. */
  function activeUser(by: 'sys_id' | 'email' | 'user_name', given: string): Promise<string | null> {
    const key = `${by}:${given}`;
    let found = users.get(key);
    if (!found) {
      found = client.list('sys_user', { query: `${by}=${encodeQueryValue(given)}^active=true`, fields: ['sys_id', 'user_name', 'email', 'active'], pageSize: 2, maxRecords: 2 }).then((rows) => {
        // A clause the instance could not read is dropped silently (it would list every user): compare.
        const wanted = given.trim().toLowerCase();
        const match = rows.find((row) => valueOf(row.fields.active) !== 'false' && (by === 'sys_id' ? row.sysId === given : valueOf(row.fields[by]).toLowerCase() === wanted));
        return match?.sysId ?? null;
      });
      users.set(key, found);
    }
    return found;
  }

  async function lookUpGroup(given: string): Promise<VerifiedGroup> {
    if (SYS_ID.test(given)) {
      const rows = await client.list('sys_user_group', { query: `sys_id=${given}^active=true`, fields: ['sys_id', 'name'], pageSize: 1, maxRecords: 1 });
      // A clause ServiceNow could not read is dropped silently (it would list every group): compare.
      const found = rows.find((row) => row.sysId === given);
      if (!found) throw unknownGroup(given, 'sys_id');
      return { sysId: found.sysId, name: valueOf(found.fields.name), value: given };
    }
    const found = await client.findGroupByName(given);
    if (!found) throw unknownGroup(given, 'name');
    return { sysId: found.sysId, name: found.name, value: given };
  }

  return {
    /** The group a mapping value names, verified in sys_user_group; throws PROVIDER_FIELD_REJECTED (422) when there is none. */
    group(given: string): Promise<VerifiedGroup> {
      let found = groups.get(given);
      if (!found) {
        found = lookUpGroup(given);
        groups.set(given, found);
      }
      return found;
    },
    /** The sys_id of the active sys_user an `assignee` mapping value names (a sys_id, an email, else a user_name); throws PROVIDER_FIELD_REJECTED (422) when there is none. */
    async mappedUser(given: string): Promise<string> {
      const by = SYS_ID.test(given) ? 'sys_id' : given.includes('@') ? 'email' : 'user_name';
      const sysId = await activeUser(by, given);
      if (sysId) return sysId;
      throw new ServiceNowError(
        'PROVIDER_FIELD_REJECTED',
        `the assignee mapping names "${given}", but ServiceNow has no active user with that ${by} in sys_user (ServiceNow would store the reference as given or leave it empty): fix the mapping row`,
        { field: 'assignee' },
      );
    },
    /** The sys_id of the active sys_user with this email (the request's assignee); throws PROVIDER_FIELD_REJECTED (422) when there is none. */
    async user(email: string): Promise<string> {
      const sysId = await activeUser('email', email);
      if (sysId) return sysId;
      throw new ServiceNowError('PROVIDER_FIELD_REJECTED', `no active ServiceNow user with the email ${email} is visible to this connection`, { field: 'assignee' });
    },
  };
}

function unknownGroup(given: string, by: 'sys_id' | 'name'): ServiceNowError {
  return new ServiceNowError(
    'PROVIDER_FIELD_REJECTED',
    `the assignment_group mapping names "${given}", but ServiceNow has no active group with that ${by} in sys_user_group (ServiceNow would leave the field empty): fix the mapping row`,
    { field: 'assignment_group' },
  );
}
