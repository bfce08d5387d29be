/**
 * Seeded site content: projects SEC/COMP/FEDRAMP, issue types, priorities (with Blocker, which the product
 * maps `critical` to), the workflow To Do → In Progress → In Review → Done (+ Won't Do, Reopen), and users.
 * Callers may replace priorities or users through the simulator options to model other site setups.
 */
import type { FieldDef, IssueType, Priority, Project, Status, StatusCategory, Transition, User } from './model.ts';

export const STATUS_CATEGORIES: Record<StatusCategory['key'], StatusCategory> = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
};

export const STATUSES: Status[] = [
  { id: '10000', name: 'To Do', categoryKey: 'new' },
  { id: '3', name: 'In Progress', categoryKey: 'indeterminate' },
  { id: '10001', name: 'In Review', categoryKey: 'indeterminate' },
  { id: '10002', name: 'Done', categoryKey: 'done' },
  { id: '10003', name: "Won't Do", categoryKey: 'done' },
];

export const INITIAL_STATUS_ID = '10000';

/** Not global transitions: each is offered only from its `from` statuses, as in a classic workflow. */
export const TRANSITIONS: Transition[] = [
  { id: '11', name: 'Start Progress', from: ['10000'], to: '3', resolution: null },
  { id: '21', name: 'Ready for Review', from: ['3'], to: '10001', resolution: null },
  { id: '31', name: 'Done', from: ['10001'], to: '10002', resolution: 'Done' },
  { id: '41', name: "Won't Do", from: ['10000', '3', '10001'], to: '10003', resolution: "Won't Do" },
  { id: '51', name: 'Back to In Progress', from: ['10001'], to: '3', resolution: null },
  { id: '61', name: 'Reopen', from: ['10002', '10003'], to: '10000', resolution: null },
];

export const ISSUE_TYPES: IssueType[] = [
  { id: '10001', name: 'Task', description: 'A small, distinct piece of work.', subtask: false },
  { id: '10002', name: 'Bug', description: 'A problem or error.', subtask: false },
  { id: '10003', name: 'Story', description: "A feature expressed from the user's perspective.", subtask: false },
];

export const DEFAULT_PRIORITIES: Priority[] = [
  { id: '1', name: 'Highest', statusColor: '#d04437' },
  { id: '2', name: 'High', statusColor: '#f15C75' },
  { id: '3', name: 'Medium', statusColor: '#f79232' },
  { id: '4', name: 'Low', statusColor: '#707070' },
  { id: '5', name: 'Lowest', statusColor: '#999999' },
  { id: '10000', name: 'Blocker', statusColor: '#cc0000' },
];

export const FIELDS: FieldDef[] = [
  { id: 'summary', name: 'Summary', kind: 'summary' },
  { id: 'issuetype', name: 'Issue Type', kind: 'issuetype' },
  { id: 'project', name: 'Project', kind: 'project' },
  { id: 'description', name: 'Description', kind: 'richtext' },
  { id: 'environment', name: 'Environment', kind: 'richtext', issueTypes: ['10002'] },
  { id: 'priority', name: 'Priority', kind: 'priority' },
  { id: 'labels', name: 'Labels', kind: 'labels' },
  { id: 'assignee', name: 'Assignee', kind: 'user' },
  { id: 'duedate', name: 'Due date', kind: 'date' },
  { id: 'customfield_10050', name: 'Finding ID', kind: 'string' },
  { id: 'customfield_10051', name: 'Remediation notes', kind: 'richtext' },
  {
    id: 'customfield_10052',
    name: 'Severity',
    kind: 'option',
    options: [
      { id: '10100', value: 'Critical' },
      { id: '10101', value: 'High' },
      { id: '10102', value: 'Medium' },
      { id: '10103', value: 'Low' },
    ],
  },
];

export const PROJECTS: Project[] = [
  { id: '10000', key: 'SEC', name: 'Security', issueTypeIds: ['10001', '10002', '10003'], requiredFields: [], leadAccountId: '' },
  // Seed 002's examples create Bugs in COMP.
  { id: '10001', key: 'COMP', name: 'Compliance', issueTypeIds: ['10001', '10002', '10003'], requiredFields: [], leadAccountId: '' },
  {
    id: '10002',
    key: 'FEDRAMP',
    name: 'FedRAMP',
    issueTypeIds: ['10001', '10002'],
    // A stricter project, so "required field missing" is reachable.
    requiredFields: ['priority', 'customfield_10052'],
    leadAccountId: '',
  },
];

export interface SeedCredentials {
  /** Cloud: classic API token, valid with Basic email:token at the site URL and the gateway. */
  apiToken: string;
  /** Cloud: scoped API token, valid only through the gateway (`/ex/jira/{cloudId}`). */
  scopedApiToken: string;
  /** Server/DC: personal access token, Bearer only. */
  pat: string;
  /** Server/DC Basic password; on Cloud a password in Basic auth gets the deprecation answer. */
  password: string;
}

export interface SeedUser extends User, SeedCredentials {}

export const USERS: SeedUser[] = [
  {
    accountId: '712020:00000000-0000-4000-8000-000000000b07',
    name: 'integration-bot',
    displayName: 'Integration Bot',
    email: 'bot@sim.example',
    emailVisible: true,
    timeZone: 'UTC',
    active: true,
    projects: '*',
    apiToken: 'sim-api-token-bot',
    scopedApiToken: 'sim-scoped-token-bot',
    pat: 'sim-pat-bot',
    password: 'sim-password-bot',
  },
  {
    accountId: '712020:00000000-0000-4000-8000-0000000a11ce',
    name: 'alice',
    displayName: 'Alice Admin',
    email: 'alice@sim.example',
    emailVisible: true,
    timeZone: 'Europe/Paris',
    active: true,
    projects: '*',
    apiToken: 'sim-api-token-alice',
    scopedApiToken: 'sim-scoped-token-alice',
    pat: 'sim-pat-alice',
    password: 'sim-password-alice',
  },
  {
    accountId: '712020:00000000-0000-4000-8000-000000000b0b',
    name: 'bob',
    displayName: 'Bob Developer',
    email: 'bob@sim.example',
    emailVisible: true,
    timeZone: 'America/New_York',
    active: true,
    projects: '*',
    apiToken: 'sim-api-token-bob',
    scopedApiToken: 'sim-scoped-token-bob',
    pat: 'sim-pat-bob',
    password: 'sim-password-bob',
  },
  {
    // Hidden e-mail: found by an e-mail query, but `emailAddress` is not returned (Cloud privacy).
    accountId: '712020:00000000-0000-4000-8000-0000000ca201',
    name: 'carol',
    displayName: 'Carol Private',
    email: 'carol@sim.example',
    emailVisible: false,
    timeZone: 'UTC',
    active: true,
    projects: '*',
    apiToken: 'sim-api-token-carol',
    scopedApiToken: 'sim-scoped-token-carol',
    pat: 'sim-pat-carol',
    password: 'sim-password-carol',
  },
  {
    // Sees only SEC: FEDRAMP/COMP issues are 404 for them and vanish from their searches.
    accountId: '712020:00000000-0000-4000-8000-00000000f1e0',
    name: 'viewer',
    displayName: 'Limited Viewer',
    email: 'viewer@sim.example',
    emailVisible: true,
    timeZone: 'UTC',
    active: true,
    projects: ['SEC'],
    apiToken: 'sim-api-token-viewer',
    scopedApiToken: 'sim-scoped-token-viewer',
    pat: 'sim-pat-viewer',
    password: 'sim-password-viewer',
  },
];
