/**
 * The encoded-query subset of `sysparm_query`: conditions `field<op>value` joined by `^` (AND) and `^OR`
 * (OR with the previous condition, which binds tighter than AND, as in ServiceNow), dot-walked reference
 * paths (`assignment_group.name=...`), `ORDERBY<field>`/`ORDERBYDESC<field>`, `^EQ` and escaped `^^`.
 * Operators: = != LIKE NOTLIKE STARTSWITH ENDSWITH > >= < <= IN NOT IN ISEMPTY ISNOTEMPTY, and
 * `javascript:gs.dateGenerate('date','time')` as a date value. A clause that does not parse or names an
 * unknown field is dropped silently (PROVIDER-FACTS §5), so the rest of the query still filters — unless
 * the instance runs with `glide.invalid_query.returns_no_rows=true`, when such a query returns nothing.
 */
import type { FieldDef } from './schema.ts';
import type { ServiceNowStore, SnRecord } from './store.ts';

export interface Clause {
  path: string;
  op: string;
  value: string;
}

export interface ParsedQuery {
  /** AND of OR-groups. */
  groups: Clause[][];
  order: { path: string; desc: boolean }[];
  /** Parts that were dropped (unparsable or naming unknown fields). */
  ignored: string[];
}

const OPERATORS = ['ISNOTEMPTY', 'ISEMPTY', 'NOTLIKE', 'STARTSWITH', 'ENDSWITH', 'LIKE', 'NOT IN', 'IN', '!=', '>=', '<=', '=', '>', '<'];
const CONDITION = new RegExp(`^([a-z_][a-z0-9_]*(?:\\.[a-z_][a-z0-9_]*)*)(${OPERATORS.map((o) => o.replace(/[=<>!]/g, (c) => `\\${c}`)).join('|')})(.*)$`, 's');
const NUMERIC: ReadonlySet<string> = new Set(['integer', 'choice']);

/** The field a (possibly dot-walked) path ends on, or null when any step is unknown or not a reference. */
export function fieldOfPath(store: ServiceNowStore, table: string, path: string): FieldDef | null {
  const steps = path.split('.');
  let current = store.table(table);
  let field: FieldDef | null = null;
  for (const [index, step] of steps.entries()) {
    if (!current) return null;
    const found: FieldDef | undefined = current.fields.get(step);
    if (!found) return null;
    field = found;
    if (index < steps.length - 1) {
      if (field.type !== 'reference' || !field.reference) return null;
      current = store.table(field.reference);
    }
  }
  return field;
}

/** The stored value at a path (a dot-walk through an empty or dangling reference gives ""). */
export function valueOfPath(store: ServiceNowStore, record: SnRecord, path: string): string {
  const steps = path.split('.');
  let current: SnRecord | undefined = record;
  for (const [index, step] of steps.entries()) {
    if (!current) return '';
    const value: string = current.values[step] ?? '';
    if (index === steps.length - 1) return value;
    const field: FieldDef | undefined = store.table(current.table)?.fields.get(step);
    current = field?.reference && value !== '' ? store.find(field.reference, value) : undefined;
  }
  return '';
}

export function parseEncodedQuery(store: ServiceNowStore, table: string, query: string): ParsedQuery {
  const parsed: ParsedQuery = { groups: [], order: [], ignored: [] };
  const segments = query.replace(/\^\^/g, '\u0000').split('^').map((s) => s.replace(/\u0000/g, '^'));
  for (const raw of segments) {
    const segment = raw.trim();
    if (segment === '' || segment === 'EQ') continue;
    const order = /^ORDERBY(DESC)?(.+)$/.exec(segment);
    if (order) {
      const path = order[2]!.trim();
      if (fieldOfPath(store, table, path)) parsed.order.push({ path, desc: order[1] === 'DESC' });
      else parsed.ignored.push(segment);
      continue;
    }
    const isOr = segment.startsWith('OR') && parsed.groups.length > 0;
    const match = CONDITION.exec(isOr ? segment.slice(2) : segment);
    if (!match || !fieldOfPath(store, table, match[1]!)) {
      parsed.ignored.push(segment);
      continue;
    }
    const clause: Clause = { path: match[1]!, op: match[2]!, value: dateGenerate(match[3]!) };
    if (isOr) parsed.groups[parsed.groups.length - 1]!.push(clause);
    else parsed.groups.push([clause]);
  }
  return parsed;
}

function dateGenerate(value: string): string {
  const m = /^javascript:gs\.dateGenerate\(\s*'([^']*)'\s*,\s*'([^']*)'\s*\)$/.exec(value.trim());
  if (!m) return value;
  const time = m[2] === 'start' ? '00:00:00' : m[2] === 'end' ? '23:59:59' : m[2];
  return `${m[1]} ${time}`;
}

function compare(a: string, b: string, numeric: boolean): number {
  if (numeric && a.trim() !== '' && b.trim() !== '' && !Number.isNaN(Number(a)) && !Number.isNaN(Number(b))) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function matches(store: ServiceNowStore, table: string, record: SnRecord, clause: Clause): boolean {
  const field = fieldOfPath(store, table, clause.path)!;
  const actual = valueOfPath(store, record, clause.path);
  const a = actual.toLowerCase();
  const v = clause.value.toLowerCase();
  const numeric = NUMERIC.has(field.type);
  // Like SQL NULL: an empty field matches only ISEMPTY (and `=` with an empty value).
  switch (clause.op) {
    case 'ISEMPTY':
      return actual === '';
    case 'ISNOTEMPTY':
      return actual !== '';
    case '=':
      return field.type === 'reference' || field.type === 'guid' ? actual === clause.value : a === v;
    case '!=':
      return actual !== '' && (field.type === 'reference' || field.type === 'guid' ? actual !== clause.value : a !== v);
    case 'LIKE':
      return a.includes(v);
    case 'NOTLIKE':
      return actual !== '' && !a.includes(v);
    case 'STARTSWITH':
      return a.startsWith(v);
    case 'ENDSWITH':
      return a.endsWith(v);
    case 'IN':
      return clause.value.split(',').some((item) => item.trim().toLowerCase() === a);
    case 'NOT IN':
      return actual !== '' && !clause.value.split(',').some((item) => item.trim().toLowerCase() === a);
    case '>':
      return actual !== '' && compare(actual, clause.value, numeric) > 0;
    case '>=':
      return actual !== '' && compare(actual, clause.value, numeric) >= 0;
    case '<':
      return actual !== '' && compare(actual, clause.value, numeric) < 0;
    case '<=':
      return actual !== '' && compare(actual, clause.value, numeric) <= 0;
    default:
      return true;
  }
}

export function runQuery(store: ServiceNowStore, table: string, query: ParsedQuery, invalidReturnsNoRows: boolean): SnRecord[] {
  if (invalidReturnsNoRows && query.ignored.length > 0) return [];
  const rows = store.list(table).filter((record) => query.groups.every((group) => group.some((clause) => matches(store, table, record, clause))));
  rows.sort((x, y) => {
    for (const { path, desc } of query.order) {
      const numeric = NUMERIC.has(fieldOfPath(store, table, path)!.type);
      const c = compare(valueOfPath(store, x, path), valueOfPath(store, y, path), numeric);
      if (c !== 0) return desc ? -c : c;
    }
    return x.seq - y.seq;
  });
  return rows;
}
