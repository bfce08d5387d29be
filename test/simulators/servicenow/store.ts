/**
 * The ServiceNow simulator's records: one map per table (seeded: users, groups, the incident close_code
 * choices in sys_choice), all values kept as the strings the Table API
 * returns, a simulated clock (token expiry, rate-limit windows and `sys_updated_on` follow it), users with
 * passwords and roles, the journal (sys_journal_field) and the platform logic that runs on every write:
 * numbering, sys_* stamps, sys_mod_count, the incident priority lookup, incident state side effects and
 * reassignment counting. API writes and admin ("UI") writes go through the same `write`, and each commit
 * is announced to listeners (the Business-Rule-like outbound call).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  BASE_CLOSE_CODES,
  choiceTable,
  type CustomTableOptions,
  customTable,
  type FieldDef,
  groupTable,
  incidentTable,
  journalTable,
  lookupPriority,
  type TableDef,
  userTable,
} from './schema.ts';

export interface SnRecord {
  table: string;
  values: Record<string, string>;
  /** Insertion order (the default order of a list without ORDERBY). */
  seq: number;
}

export interface Account {
  userName: string;
  sysId: string;
  password: string;
  roles: string[];
}

export interface Clock {
  now(): number;
  advance(ms: number): void;
}

export interface WriteEvent {
  type: 'insert' | 'update';
  table: string;
  record: SnRecord;
  /** Fields whose stored value changed (journal fields included when an entry was added). */
  changed: string[];
  /** Journal text added by this write, by element. */
  journal: Partial<Record<'work_notes' | 'comments', string>>;
  actor: string;
}

export type PriorityWrites = 'overwritten' | 'kept';

export interface StoreOptions {
  customTable?: CustomTableOptions;
  /** First number of every numbered table (default 10001 → INC0010001). */
  numberStart?: number;
  /**
   * What a client-written `priority` does on a table with the lookup (PROVIDER-FACTS §5: not confirmed).
   * `overwritten` (default, the base-system data lookup): priority is always recomputed from impact ×
   * urgency. `kept`: a written priority stays until impact or urgency change (an instance whose admin
   * relaxed the lookup).
   */
  priorityWrites?: PriorityWrites;
  /** Refuse resolving/closing an incident without close_code and close_notes (default false: not in the facts). */
  requireCloseFields?: boolean;
  /** The incident close_code choices seeded in sys_choice (default BASE_CLOSE_CODES; value = label). */
  closeCodes?: string[];
  now?: () => number;
}

export interface WriteOptions {
  /** `sysparm_input_display_value=true`: references and choices are given by display value. */
  inputDisplayValue?: boolean;
}

export class WriteRefused extends Error {
  readonly status: number;
  readonly detail: string;
  constructor(status: number, message: string, detail: string) {
    super(message);
    this.status = status;
    this.detail = detail;
  }
}

/** Deterministic sys_id for seed data, so tests and demos can name records by a stable id. */
export function seedSysId(kind: string, name: string): string {
  return createHash('md5').update(`${kind}:${name}`).digest('hex');
}

export function newSysId(): string {
  return randomBytes(16).toString('hex');
}

export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function toStoredString(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'object' && 'value' in value) return toStoredString((value as { value: unknown }).value);
  return JSON.stringify(value);
}

export const SEED_GROUPS = ['Security Operations', 'Service Desk', 'Network', 'Database', 'Application Security'];

export const SEED_USERS: { userName: string; first: string; last: string; roles: string[]; password: string }[] = [
  { userName: 'admin', first: 'System', last: 'Administrator', roles: ['admin'], password: 'sim-password-admin' },
  { userName: 'sim.integration', first: 'Integration', last: 'User', roles: ['itil', 'rest_api_explorer'], password: 'sim-password-integration' },
  { userName: 'sim.readonly', first: 'Read', last: 'Only', roles: ['snc_read_only'], password: 'sim-password-readonly' },
  { userName: 'beth.anglin', first: 'Beth', last: 'Anglin', roles: ['itil'], password: 'sim-password-beth' },
];

export interface ServiceNowStore {
  clock: Clock;
  tables: Map<string, TableDef>;
  customTableName: string;
  records: Map<string, Map<string, SnRecord>>;
  accounts: Map<string, Account>;
  priorityWrites: PriorityWrites;
  requireCloseFields: boolean;
  table(name: string): TableDef | undefined;
  find(table: string, sysIdOrNumber: string): SnRecord | undefined;
  list(table: string): SnRecord[];
  displayValueOf(table: string, sysId: string): string;
  /** Insert (record null) or update; runs the platform logic and announces the commit. */
  write(table: string, record: SnRecord | null, input: Record<string, unknown>, actor: string, options?: WriteOptions): { record: SnRecord; changed: string[] };
  remove(table: string, record: SnRecord): void;
  journal(elementId: string): SnRecord[];
  onWrite(listener: (event: WriteEvent) => void): void;
  reset(): void;
}

export function createServiceNowStore(options: StoreOptions = {}): ServiceNowStore {
  let offset = 0;
  const base = options.now ?? Date.now;
  const clock: Clock = {
    now: () => base() + offset,
    advance(ms) {
      offset += ms;
    },
  };
  const custom = customTable(options.customTable);
  const tables = new Map<string, TableDef>([incidentTable(), groupTable(), userTable(), custom, journalTable(), choiceTable()].map((t) => [t.name, t]));
  const records = new Map<string, Map<string, SnRecord>>();
  const accounts = new Map<string, Account>();
  const numbers = new Map<string, number>();
  const listeners: ((event: WriteEvent) => void)[] = [];
  const settings = { priorityWrites: options.priorityWrites ?? 'overwritten', requireCloseFields: options.requireCloseFields ?? false };
  let seq = 0;

  const stamp = (table: TableDef, values: Record<string, string>, actor: string): void => {
    const now = formatDate(clock.now());
    values.sys_created_on = now;
    values.sys_updated_on = now;
    values.sys_created_by = actor;
    values.sys_updated_by = actor;
    if (table.fields.has('sys_mod_count')) values.sys_mod_count = '0';
  };

  const blank = (table: TableDef): Record<string, string> => Object.fromEntries([...table.fields.keys()].map((name) => [name, '']));

  const rawInsert = (table: TableDef, values: Record<string, string>): SnRecord => {
    const record: SnRecord = { table: table.name, values, seq: seq++ };
    records.get(table.name)!.set(values.sys_id!, record);
    return record;
  };

  function seed(): void {
    records.clear();
    for (const name of tables.keys()) records.set(name, new Map());
    accounts.clear();
    numbers.clear();
    const users = tables.get('sys_user')!;
    for (const u of SEED_USERS) {
      const sysId = seedSysId('sys_user', u.userName);
      const values = { ...blank(users), ...users.defaults, sys_id: sysId, user_name: u.userName, first_name: u.first, last_name: u.last, name: `${u.first} ${u.last}`, email: `${u.userName}@sim.example` };
      stamp(users, values, 'admin');
      rawInsert(users, values);
      accounts.set(u.userName, { userName: u.userName, sysId, password: u.password, roles: [...u.roles] });
    }
    const groups = tables.get('sys_user_group')!;
    for (const name of SEED_GROUPS) {
      const values = { ...blank(groups), ...groups.defaults, sys_id: seedSysId('sys_user_group', name), name, description: `${name} (seeded)` };
      stamp(groups, values, 'admin');
      rawInsert(groups, values);
    }
    const choices = tables.get('sys_choice')!;
    (options.closeCodes ?? BASE_CLOSE_CODES).forEach((code, index) => {
      const values = { ...blank(choices), ...choices.defaults, sys_id: seedSysId('sys_choice', `incident.close_code.${code}`), name: 'incident', element: 'close_code', value: code, label: code, sequence: String(index + 1) };
      stamp(choices, values, 'admin');
      rawInsert(choices, values);
    });
  }

  const find = (table: string, sysIdOrNumber: string): SnRecord | undefined => {
    const rows = records.get(table);
    if (!rows) return undefined;
    return rows.get(sysIdOrNumber) ?? [...rows.values()].find((r) => r.values.number !== undefined && r.values.number !== '' && r.values.number === sysIdOrNumber);
  };

  const displayValueOf = (table: string, sysId: string): string => {
    const def = tables.get(table);
    const record = find(table, sysId);
    if (!def || !record) return '';
    return record.values[def.displayField] ?? '';
  };

  /** A reference given by display value (or already a sys_id) → the sys_id, or null when nothing matches. */
  const resolveReference = (field: FieldDef, given: string): string | null => {
    const target = tables.get(field.reference ?? '');
    if (!target) return given;
    const rows = records.get(target.name)!;
    if (rows.has(given)) return given;
    const wanted = given.toLowerCase();
    const match = [...rows.values()].find((r) => (r.values[target.displayField] ?? '').toLowerCase() === wanted);
    return match ? match.values.sys_id! : null;
  };

  const resolveChoice = (field: FieldDef, given: string): string => {
    const wanted = given.toLowerCase();
    return field.choices?.find((c) => c.label.toLowerCase() === wanted)?.value ?? given;
  };

  const nextNumber = (table: TableDef): string => {
    const n = numbers.get(table.name) ?? options.numberStart ?? 10001;
    numbers.set(table.name, n + 1);
    return `${table.numberPrefix}${String(n).padStart(7, '0')}`;
  };

  const accountSysId = (userName: string): string => accounts.get(userName)?.sysId ?? '';

  function write(tableName: string, existing: SnRecord | null, input: Record<string, unknown>, actor: string, writeOptions: WriteOptions = {}) {
    const table = tables.get(tableName);
    if (!table) throw new Error(`no table ${tableName}`);
    const before = existing ? { ...existing.values } : null;
    const values: Record<string, string> = existing ? { ...existing.values } : { ...blank(table), ...table.defaults };
    const journal: WriteEvent['journal'] = {};
    const written = new Set<string>();
    for (const [name, raw] of Object.entries(input)) {
      const field = table.fields.get(name);
      // Unknown fields are ignored, as the Table API does; so are platform fields, except a sys_id given on insert.
      if (!field) continue;
      let value = toStoredString(raw);
      if (field.name === 'sys_id') {
        if (!existing && /^[0-9a-f]{32}$/.test(value) && !records.get(tableName)!.has(value)) values.sys_id = value;
        continue;
      }
      if (field.system || field.type === 'journal_list') continue;
      if (field.type === 'journal') {
        if (value.trim() !== '' && (name === 'work_notes' || name === 'comments')) journal[name] = value;
        continue;
      }
      if (field.type === 'choice' && value === '') continue;
      if (writeOptions.inputDisplayValue && value !== '') {
        if (field.type === 'reference') {
          const resolved = resolveReference(field, value);
          if (resolved === null) continue;
          value = resolved;
        } else if (field.type === 'choice') {
          value = resolveChoice(field, value);
        }
      }
      values[name] = value;
      written.add(name);
    }

    if (!existing) {
      if (!values.sys_id) values.sys_id = newSysId();
      if (table.numberPrefix) values.number = nextNumber(table);
      if (table.fields.has('opened_at') && values.opened_at === '') values.opened_at = formatDate(clock.now());
      if (table.fields.has('opened_by') && values.opened_by === '') values.opened_by = accountSysId(actor);
      stamp(table, values, actor);
    }

    if (table.priorityLookup) {
      const lookupDue = !existing || written.has('impact') || written.has('urgency') || settings.priorityWrites !== 'kept';
      const keepWritten = settings.priorityWrites === 'kept' && written.has('priority') && !written.has('impact') && !written.has('urgency');
      if (lookupDue && !keepWritten) values.priority = lookupPriority(values.impact ?? '', values.urgency ?? '') ?? values.priority ?? '';
    }

    if (table.incidentStateModel) {
      if (written.has('incident_state') && !written.has('state')) values.state = values.incident_state!;
      values.incident_state = values.state!;
      const from = before?.state ?? null;
      const to = values.state!;
      if (from !== to) {
        const now = formatDate(clock.now());
        const closing = to === '6' || to === '7';
        if (closing && settings.requireCloseFields && (values.close_code === '' || values.close_notes === '')) {
          throw new WriteRefused(403, 'Operation Failed', 'Data Policy Exception: the following fields are mandatory: Resolution code, Resolution notes');
        }
        if (to === '6' || (to === '7' && values.resolved_at === '')) {
          values.resolved_at = now;
          values.resolved_by = accountSysId(actor);
        }
        if (to === '7') {
          values.closed_at = now;
          values.closed_by = accountSysId(actor);
        }
        values.active = to === '7' || to === '8' ? 'false' : 'true';
        if (from === '6' && ['1', '2', '3'].includes(to)) {
          values.resolved_at = '';
          values.resolved_by = '';
          values.reopen_count = String(Number(values.reopen_count || '0') + 1);
        }
      }
    }

    if (existing && table.fields.has('reassignment_count') && before?.assignment_group !== values.assignment_group && before?.assignment_group !== '') {
      values.reassignment_count = String(Number(values.reassignment_count || '0') + 1);
    }

    const changed = before ? Object.keys(values).filter((k) => values[k] !== before[k]) : Object.keys(values).filter((k) => values[k] !== '');
    changed.push(...Object.keys(journal));
    // An update that changes nothing is not saved (no sys_mod_count bump, no Business Rule).
    if (existing && changed.length === 0) return { record: existing, changed: [] };

    let record: SnRecord;
    if (existing) {
      values.sys_updated_on = formatDate(clock.now());
      values.sys_updated_by = actor;
      if (table.fields.has('sys_mod_count')) values.sys_mod_count = String(Number(values.sys_mod_count || '0') + 1);
      existing.values = values;
      record = existing;
    } else {
      record = rawInsert(table, values);
    }
    const journalTableDef = tables.get('sys_journal_field')!;
    for (const [element, text] of Object.entries(journal)) {
      const entry = { ...blank(journalTableDef), sys_id: newSysId(), element_id: values.sys_id!, element, name: table.name, value: text };
      stamp(journalTableDef, entry, actor);
      rawInsert(journalTableDef, entry);
    }
    const event: WriteEvent = { type: existing ? 'update' : 'insert', table: table.name, record, changed, journal, actor };
    for (const listener of listeners) listener(event);
    return { record, changed };
  }

  seed();
  return {
    clock,
    tables,
    customTableName: custom.name,
    records,
    accounts,
    get priorityWrites() {
      return settings.priorityWrites;
    },
    set priorityWrites(value: PriorityWrites) {
      settings.priorityWrites = value;
    },
    get requireCloseFields() {
      return settings.requireCloseFields;
    },
    set requireCloseFields(value: boolean) {
      settings.requireCloseFields = value;
    },
    table: (name) => tables.get(name),
    find,
    list: (table) => [...(records.get(table)?.values() ?? [])],
    displayValueOf,
    write,
    remove(table, record) {
      records.get(table)?.delete(record.values.sys_id!);
    },
    journal: (elementId) =>
      [...records.get('sys_journal_field')!.values()].filter((r) => r.values.element_id === elementId).sort((a, b) => b.seq - a.seq),
    onWrite(listener) {
      listeners.push(listener);
    },
    reset() {
      offset = 0;
      seed();
    },
  };
}
