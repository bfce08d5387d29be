/**
 * Turns a parsed JQL query into a filter and a sort over issues. Value checks happen at compile time, as
 * on Jira: an unknown project, status or issue key fails the whole query with 400 instead of matching
 * nothing, which is exactly the kind of error a lenient fake would hide.
 */
import { adfToWiki } from './adf.ts';
import { type Expr, JqlError, type JqlQuery, type JqlValue, type Operator } from './jql.ts';
import type { Flavor, Issue, User } from './model.ts';
import { STATUS_CATEGORIES } from './seed.ts';
import type { JiraStore } from './store.ts';

export interface EvalContext {
  store: JiraStore;
  flavor: Flavor;
  user: User;
  now: number;
  /** Property keys Jira indexes for JQL; `'all'` = every property (see docs: only app-declared ones are). */
  indexedProperties: 'all' | string[];
}

type Predicate = (issue: Issue) => boolean;

const noField = (field: string): JqlError => new JqlError(`Field '${field}' does not exist or you do not have permission to view it.`);
const badOperator = (op: string, field: string): JqlError => new JqlError(`The operator '${op.toUpperCase()}' is not supported by the '${field}' field.`);
const noValue = (value: string, field: string): JqlError => new JqlError(`The value '${value}' does not exist for the field '${field}'.`);

function literal(ctx: EvalContext, value: JqlValue): string {
  if (value.kind === 'literal') return value.text;
  const name = value.name.toLowerCase();
  if (name === 'currentuser') return ctx.flavor.kind === 'cloud' ? ctx.user.accountId : ctx.user.name;
  if (name === 'now') return new Date(ctx.now).toISOString();
  throw new JqlError(`Unable to find JQL function '${value.name}(${value.args.join(', ')})'.`);
}

/** Membership-style clause: `=`, `!=`, `in`, `not in`, `is [not] empty` over a set of values per issue. */
function membership(op: Operator, field: string, wanted: Set<string> | null, valuesOf: (issue: Issue) => string[]): Predicate {
  switch (op) {
    case '=':
    case 'in':
      return (issue) => valuesOf(issue).some((v) => wanted?.has(v));
    case '!=':
    case 'not in':
      // Jira's != / NOT IN never match issues where the field is empty.
      return (issue) => {
        const values = valuesOf(issue);
        return values.length > 0 && !values.some((v) => wanted?.has(v));
      };
    case 'is':
      return (issue) => valuesOf(issue).length === 0;
    case 'is not':
      return (issue) => valuesOf(issue).length > 0;
    default:
      throw badOperator(op, field);
  }
}

const DATE_FORMATS =
  "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.";

/** The offset (ms) of a zone from UTC at an instant. */
function zoneOffset(timeZone: string, at: number): number {
  const parts: Record<string, string> = {};
  const format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  for (const part of format.formatToParts(new Date(at))) parts[part.type] = part.value;
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wall - Math.floor(at / 1000) * 1000;
}

/** A wall time in an IANA zone as an instant (the offset looked up twice, for a DST change between); UTC for an unknown zone. */
function wallTimeIn(timeZone: string, wall: number): number {
  try {
    return wall - zoneOffset(timeZone, wall - zoneOffset(timeZone, wall));
  } catch {
    return wall;
  }
}

/**
 * A JQL date value. An absolute date is read in the searching user's time zone (their profile's,
 * `timeZone` in /myself), as Jira does; a period is relative to now.
 */
export function parseJqlDate(text: string, now: number, field: string, timeZone = 'UTC'): number {
  const period = /^([-+]?)\s*((?:\d+[wdhm]\s*)+)$/i.exec(text.trim());
  if (period) {
    const units: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000 };
    let total = 0;
    for (const part of (period[2] as string).matchAll(/(\d+)([wdhm])/gi)) total += Number(part[1]) * (units[(part[2] as string).toLowerCase()] ?? 0);
    return period[1] === '-' ? now - total : now + total;
  }
  const absolute = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$/.exec(text.trim());
  if (absolute) {
    const [, y, mo, d, h, mi] = absolute;
    const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0));
    if (!Number.isNaN(ms)) return wallTimeIn(timeZone, ms);
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text))) return Date.parse(text);
  throw new JqlError(`Date value '${text}' for field '${field}' is invalid. ${DATE_FORMATS}`);
}

function propertyPath(issue: Issue, key: string, path: string[]): unknown {
  let value: unknown = issue.properties[key];
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function compileClause(ctx: EvalContext, clause: Extract<Expr, { kind: 'clause' }>): Predicate {
  const { store } = ctx;
  const field = clause.field.toLowerCase();
  const values = clause.values.map((v) => literal(ctx, v));
  const { op } = clause;

  const property = /^issue\.property\[([^\]]+)\](?:\.(.+))?$/i.exec(clause.field);
  if (property) {
    const key = property[1] as string;
    const path = property[2] ? property[2].split('.') : [];
    const indexed = ctx.indexedProperties === 'all' || ctx.indexedProperties.includes(key);
    const wanted = new Set(values);
    return membership(op, clause.field, wanted, (issue) => {
      if (!indexed) return [];
      const value = propertyPath(issue, key, path);
      if (value === undefined || value === null) return [];
      return Array.isArray(value) ? value.map(String) : [String(value)];
    });
  }

  switch (field) {
    case 'project': {
      const ids = new Set<string>();
      for (const value of values) {
        const project = store.findProject(value) ?? store.projects.find((p) => p.name.toLowerCase() === value.toLowerCase());
        if (!project || !store.canSee(ctx.user, project.key)) throw noValue(value, 'project');
        ids.add(project.id);
      }
      return membership(op, 'project', ids, (issue) => [issue.projectId]);
    }
    case 'labels':
      return membership(op, 'labels', new Set(values), (issue) => issue.labels);
    case 'key':
    case 'issuekey':
    case 'id': {
      const ids = new Set<string>();
      for (const value of values) {
        if (field === 'id' ? !/^\d+$/.test(value) : !/^[A-Za-z][A-Za-z0-9_]*-\d+$/.test(value)) {
          throw new JqlError(`The issue key '${value}' for field '${clause.field}' is invalid.`);
        }
        const issue = store.findIssue(value);
        if (!issue || !store.canSee(ctx.user, store.projectOf(issue).key)) {
          throw new JqlError(`An issue with key '${value}' does not exist for field '${clause.field}'.`);
        }
        ids.add(issue.id);
      }
      if (!['=', '!=', 'in', 'not in'].includes(op)) throw badOperator(op, clause.field);
      return membership(op, clause.field, ids, (issue) => [issue.id]);
    }
    case 'status': {
      const ids = new Set<string>();
      for (const value of values) {
        const status = store.statuses.find((s) => s.id === value || s.name.toLowerCase() === value.toLowerCase());
        if (!status) throw noValue(value, 'status');
        ids.add(status.id);
      }
      return membership(op, 'status', ids, (issue) => [issue.statusId]);
    }
    case 'statuscategory': {
      const keys = new Set<string>();
      for (const value of values) {
        const category = Object.values(STATUS_CATEGORIES).find(
          (c) => c.key === value.toLowerCase() || c.name.toLowerCase() === value.toLowerCase() || String(c.id) === value,
        );
        if (!category) throw noValue(value, 'statusCategory');
        keys.add(category.key);
      }
      return membership(op, 'statusCategory', keys, (issue) => [store.status(issue.statusId).categoryKey]);
    }
    case 'priority': {
      const ids = new Set<string>();
      for (const value of values) {
        const priority = store.priorities.find((p) => p.id === value || p.name.toLowerCase() === value.toLowerCase());
        if (!priority) throw noValue(value, 'priority');
        ids.add(priority.id);
      }
      return membership(op, 'priority', ids, (issue) => (issue.priorityId ? [issue.priorityId] : []));
    }
    case 'assignee':
    case 'reporter': {
      const ids = new Set<string>();
      for (const value of values) {
        const user = ctx.flavor.kind === 'cloud' ? store.users.find((u) => u.accountId === value) : store.users.find((u) => u.name === value);
        if (!user) throw noValue(value, clause.field);
        ids.add(user.accountId);
      }
      return membership(op, clause.field, ids, (issue) => {
        const id = field === 'assignee' ? issue.assigneeId : issue.reporterId;
        return id ? [id] : [];
      });
    }
    case 'summary':
    case 'text':
    case 'description': {
      if (op !== '~' && op !== '!~') throw badOperator(op, clause.field);
      const needle = (values[0] ?? '').toLowerCase().replace(/[*?]/g, '');
      const textOf = (issue: Issue): string =>
        (field === 'summary' ? issue.summary : field === 'description' ? flatText(issue.description) : `${issue.summary} ${flatText(issue.description)}`).toLowerCase();
      return op === '~' ? (issue) => textOf(issue).includes(needle) : (issue) => !textOf(issue).includes(needle);
    }
    case 'created':
    case 'updated':
    case 'createddate':
    case 'updateddate': {
      const pick = field.startsWith('created') ? (i: Issue) => i.created : (i: Issue) => i.updated;
      if (clause.empty) return () => op === 'is not';
      const at = parseJqlDate(values[0] ?? '', ctx.now, clause.field, ctx.user.timeZone);
      switch (op) {
        case '=':
          return (i) => pick(i) === at;
        case '!=':
          return (i) => pick(i) !== at;
        case '>':
          return (i) => pick(i) > at;
        case '>=':
          return (i) => pick(i) >= at;
        case '<':
          return (i) => pick(i) < at;
        case '<=':
          return (i) => pick(i) <= at;
        default:
          throw badOperator(op, clause.field);
      }
    }
    default:
      throw noField(clause.field);
  }
}

function flatText(value: unknown): string {
  if (typeof value === 'string') return value;
  return value ? adfToWiki(value) : '';
}

function compile(ctx: EvalContext, expr: Expr): Predicate {
  switch (expr.kind) {
    case 'and': {
      const parts = expr.items.map((e) => compile(ctx, e));
      return (issue) => parts.every((p) => p(issue));
    }
    case 'or': {
      const parts = expr.items.map((e) => compile(ctx, e));
      return (issue) => parts.some((p) => p(issue));
    }
    case 'not': {
      const inner = compile(ctx, expr.item);
      return (issue) => !inner(issue);
    }
    case 'clause':
      return compileClause(ctx, expr);
  }
}

/** Keys sort by project, then number (SEC-9 before SEC-10). */
function sortableKey(key: string): string {
  return key.replace(/-(\d+)$/, (_, n: string) => `-${n.padStart(12, '0')}`);
}

const SORTABLE: Record<string, (issue: Issue, store: JiraStore) => string | number> = {
  created: (i) => i.created,
  updated: (i) => i.updated,
  key: (i) => sortableKey(i.key),
  issuekey: (i) => sortableKey(i.key),
  id: (i) => Number(i.id),
  summary: (i) => i.summary.toLowerCase(),
  status: (i) => i.statusId,
  priority: (i, store) => store.priorities.findIndex((p) => p.id === i.priorityId),
};

export interface CompiledQuery {
  bounded: boolean;
  filter: Predicate;
  compare: (a: Issue, b: Issue) => number;
}

export function compileQuery(ctx: EvalContext, query: JqlQuery): CompiledQuery {
  const filter = query.where ? compile(ctx, query.where) : () => true;
  if (query.orderBy.length > 7) throw new JqlError('The ORDER BY clause may contain at most 7 fields.');
  const keys = query.orderBy.map((k) => {
    const pick = SORTABLE[k.field.toLowerCase()];
    if (!pick) throw new JqlError(`Not able to sort using field '${k.field}'.`);
    return { pick, sign: k.direction === 'asc' ? 1 : -1 };
  });
  // Jira's default order when none is given: newest first.
  if (keys.length === 0) keys.push({ pick: (i) => i.created, sign: -1 });
  keys.push({ pick: (i) => Number(i.id), sign: keys[keys.length - 1]?.sign ?? -1 });
  const compare = (a: Issue, b: Issue): number => {
    for (const key of keys) {
      const x = key.pick(a, ctx.store);
      const y = key.pick(b, ctx.store);
      if (x < y) return -key.sign;
      if (x > y) return key.sign;
    }
    return 0;
  };
  return { bounded: query.where !== null, filter, compare };
}
