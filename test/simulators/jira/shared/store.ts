/**
 * In-memory Jira site: seeded catalogue (projects, types, priorities, workflow, users), issues, and the
 * search index. The index is what makes search eventually consistent: every change is queued with a
 * "visible at" time, and JQL runs against the newest snapshot whose time has come (get-by-key reads the
 * live record, as on Jira). All mutations go through here so the HTTP routes and the admin helpers emit
 * the same change events (which drive webhooks).
 */
import type { ChangeItem, Comment, FieldDef, Issue, IssueType, Priority, Project, Status, Transition, User } from './model.ts';
import { DEFAULT_PRIORITIES, FIELDS, INITIAL_STATUS_ID, ISSUE_TYPES, PROJECTS, STATUSES, type SeedUser, TRANSITIONS, USERS } from './seed.ts';

export type IssueEvent =
  | { type: 'issue_created'; issue: Issue; actor: User; changes: ChangeItem[] }
  | { type: 'issue_updated'; issue: Issue; actor: User; changes: ChangeItem[]; eventTypeName: string; comment?: Comment }
  | { type: 'issue_deleted'; issue: Issue; actor: User }
  | { type: 'comment_created'; issue: Issue; actor: User; comment: Comment };

export interface StoreOptions {
  now?: () => number;
  searchLagMs?: number;
  priorities?: Priority[];
  users?: SeedUser[];
}

interface IndexEntry {
  at: number;
  snapshot: Issue | null;
}

export interface JiraStore {
  readonly now: () => number;
  searchLagMs: number;
  projects: Project[];
  issueTypes: IssueType[];
  priorities: Priority[];
  statuses: Status[];
  transitions: Transition[];
  fields: FieldDef[];
  users: SeedUser[];
  issues: Map<string, Issue>;
  findIssue(idOrKey: string): Issue | undefined;
  findProject(idOrKey: string): Project | undefined;
  findUser(accountIdOrName: string): SeedUser | undefined;
  status(id: string): Status;
  canSee(user: User, projectKey: string): boolean;
  projectOf(issue: Issue): Project;
  /** Issues as the search index currently sees them, plus live copies of `reconcile` ids. */
  searchable(reconcile: ReadonlySet<string>): Issue[];
  createIssue(input: Omit<Issue, 'id' | 'key' | 'comments' | 'remoteLinks' | 'changelog' | 'created' | 'updated' | 'statusCategoryChangedAt' | 'creatorId' | 'properties' | 'statusId' | 'resolution' | 'resolutionDate'>, actor: User): Issue;
  updateIssue(issue: Issue, patch: Partial<Issue>, actor: User, eventTypeName?: string): ChangeItem[];
  transitionIssue(issue: Issue, transition: Transition, actor: User): void;
  addComment(issue: Issue, body: unknown, actor: User): Comment;
  deleteIssue(issue: Issue, actor: User): void;
  touch(issue: Issue): void;
  onEvent(listener: (event: IssueEvent) => void): void;
}

const FIELD_LABELS: Record<string, string> = {
  summary: 'summary',
  description: 'description',
  environment: 'environment',
  priorityId: 'priority',
  labels: 'labels',
  assigneeId: 'assignee',
  duedate: 'duedate',
  statusId: 'status',
  resolution: 'resolution',
};

export function createJiraStore(options: StoreOptions = {}): JiraStore {
  const now = options.now ?? Date.now;
  const users = structuredClone(options.users ?? USERS);
  const projects = structuredClone(PROJECTS).map((p) => ({ ...p, leadAccountId: users[0]?.accountId ?? '' }));
  const index = new Map<string, IndexEntry[]>();
  const listeners: ((event: IssueEvent) => void)[] = [];
  const counters = { issue: 10000, comment: 10000, changelog: 10000, perProject: new Map<string, number>() };

  const emit = (event: IssueEvent): void => {
    for (const listener of listeners) listener(event);
  };
  const reindex = (issue: Issue, deleted = false): void => {
    const entries = index.get(issue.id) ?? [];
    entries.push({ at: now() + store.searchLagMs, snapshot: deleted ? null : structuredClone(issue) });
    index.set(issue.id, entries);
  };
  const describe = (field: string, value: unknown): string | null => {
    if (value === null || value === undefined) return null;
    if (field === 'priorityId') return store.priorities.find((p) => p.id === value)?.name ?? String(value);
    if (field === 'assigneeId') return store.findUser(String(value))?.displayName ?? String(value);
    if (field === 'statusId') return store.status(String(value)).name;
    if (Array.isArray(value)) return value.join(' ');
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  };

  const store: JiraStore = {
    now,
    searchLagMs: options.searchLagMs ?? 300,
    projects,
    issueTypes: structuredClone(ISSUE_TYPES),
    priorities: structuredClone(options.priorities ?? DEFAULT_PRIORITIES),
    statuses: structuredClone(STATUSES),
    transitions: structuredClone(TRANSITIONS),
    fields: structuredClone(FIELDS),
    users,
    issues: new Map(),
    findIssue(idOrKey) {
      const direct = store.issues.get(idOrKey);
      if (direct) return direct;
      // Jira looks keys up case-insensitively.
      const upper = idOrKey.toUpperCase();
      for (const issue of store.issues.values()) if (issue.key === upper) return issue;
      return undefined;
    },
    findProject(idOrKey) {
      const upper = idOrKey.toUpperCase();
      return projects.find((p) => p.id === idOrKey || p.key === upper);
    },
    findUser(ref) {
      return users.find((u) => u.accountId === ref || u.name === ref);
    },
    status(id) {
      const found = store.statuses.find((s) => s.id === id);
      if (!found) throw new Error(`unknown status ${id}`);
      return found;
    },
    canSee(user, projectKey) {
      return user.projects === '*' || user.projects.includes(projectKey);
    },
    projectOf(issue) {
      const project = projects.find((p) => p.id === issue.projectId);
      if (!project) throw new Error(`issue ${issue.key} has no project`);
      return project;
    },
    searchable(reconcile) {
      const t = now();
      const out: Issue[] = [];
      for (const [id, entries] of index) {
        if (reconcile.has(id)) {
          const live = store.issues.get(id);
          if (live) out.push(live);
          continue;
        }
        let visible: IndexEntry | undefined;
        let cut = 0;
        entries.forEach((entry, i) => {
          if (entry.at <= t) {
            visible = entry;
            cut = i;
          }
        });
        // Older snapshots can never become visible again.
        if (cut > 0) entries.splice(0, cut);
        if (visible?.snapshot) out.push(visible.snapshot);
      }
      return out;
    },
    createIssue(input, actor) {
      const project = projects.find((p) => p.id === input.projectId);
      if (!project) throw new Error('createIssue: unknown project');
      const n = (counters.perProject.get(project.key) ?? 0) + 1;
      counters.perProject.set(project.key, n);
      counters.issue += 1;
      const t = now();
      const issue: Issue = {
        ...input,
        id: String(counters.issue),
        key: `${project.key}-${n}`,
        creatorId: actor.accountId,
        statusId: INITIAL_STATUS_ID,
        resolution: null,
        resolutionDate: null,
        properties: {},
        comments: [],
        remoteLinks: [],
        changelog: [],
        created: t,
        updated: t,
        statusCategoryChangedAt: t,
      };
      store.issues.set(issue.id, issue);
      reindex(issue);
      const changes: ChangeItem[] = [
        { field: 'summary', fieldtype: 'jira', fieldId: 'summary', from: null, fromString: null, to: null, toString: issue.summary },
        { field: 'Status', fieldtype: 'jira', fieldId: 'status', from: null, fromString: null, to: issue.statusId, toString: store.status(issue.statusId).name },
      ];
      emit({ type: 'issue_created', issue, actor, changes });
      return issue;
    },
    updateIssue(issue, patch, actor, eventTypeName = 'issue_generic') {
      const items: ChangeItem[] = [];
      const record = issue as unknown as Record<string, unknown>;
      for (const [field, value] of Object.entries(patch)) {
        const before = record[field];
        if (JSON.stringify(before) === JSON.stringify(value)) continue;
        const label = FIELD_LABELS[field] ?? field;
        const isCustom = field.startsWith('customfield_');
        items.push({
          field: label === 'status' ? 'status' : label,
          fieldtype: isCustom ? 'custom' : 'jira',
          fieldId: label,
          from: ['priorityId', 'assigneeId', 'statusId'].includes(field) ? ((before as string | null) ?? null) : null,
          fromString: describe(field, before),
          to: ['priorityId', 'assigneeId', 'statusId'].includes(field) ? ((value as string | null) ?? null) : null,
          toString: describe(field, value),
        });
        record[field] = value;
      }
      if (items.length === 0) return items;
      issue.updated = now();
      counters.changelog += 1;
      issue.changelog.push({ id: String(counters.changelog), authorId: actor.accountId, created: issue.updated, items });
      reindex(issue);
      emit({ type: 'issue_updated', issue, actor, changes: items, eventTypeName });
      return items;
    },
    transitionIssue(issue, transition, actor) {
      const before = store.status(issue.statusId);
      const after = store.status(transition.to);
      const patch: Partial<Issue> = { statusId: transition.to, resolution: transition.resolution };
      if (before.categoryKey !== after.categoryKey) issue.statusCategoryChangedAt = now();
      issue.resolutionDate = transition.resolution ? now() : null;
      const eventType = after.categoryKey === 'done' ? 'issue_resolved' : before.categoryKey === 'done' ? 'issue_reopened' : 'issue_generic';
      const changes = store.updateIssue(issue, patch, actor, eventType);
      if (changes.length === 0) {
        // Re-entering the same status still counts as an update on Jira (the transition ran).
        issue.updated = now();
        reindex(issue);
      }
    },
    addComment(issue, body, actor) {
      counters.comment += 1;
      const t = now();
      const comment: Comment = { id: String(counters.comment), authorId: actor.accountId, body, created: t, updated: t };
      issue.comments.push(comment);
      issue.updated = t;
      reindex(issue);
      emit({ type: 'comment_created', issue, actor, comment });
      emit({ type: 'issue_updated', issue, actor, changes: [], eventTypeName: 'issue_commented', comment });
      return comment;
    },
    deleteIssue(issue, actor) {
      store.issues.delete(issue.id);
      reindex(issue, true);
      emit({ type: 'issue_deleted', issue, actor });
    },
    touch(issue) {
      // Property writes reach the search index but do not change `updated`.
      reindex(issue);
    },
    onEvent(listener) {
      listeners.push(listener);
    },
  };
  return store;
}
