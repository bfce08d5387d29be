/**
 * The one issue model both Jira flavours share. Cloud and Server differ only in how they render it
 * (v3 + ADF + accountId vs v2 + wiki strings + user names), so the store keeps a single shape and the
 * rich-text fields hold whatever the flavour accepts (an ADF document on Cloud, a string on Server).
 */
export interface User {
  accountId: string;
  /** Server/DC user name and key; Cloud answers `""` for both since the GDPR changes. */
  name: string;
  displayName: string;
  email: string;
  /** Cloud hides e-mail addresses by privacy setting; user search still matches on them. */
  emailVisible: boolean;
  timeZone: string;
  active: boolean;
  /** Project keys this user may browse and create in; `'*'` = all. */
  projects: '*' | string[];
}

export interface StatusCategory {
  id: number;
  key: 'new' | 'indeterminate' | 'done';
  colorName: string;
  name: string;
}

export interface Status {
  id: string;
  name: string;
  categoryKey: StatusCategory['key'];
}

export interface Transition {
  id: string;
  name: string;
  to: string;
  /** Status ids this transition is available from. */
  from: string[];
  resolution: string | null;
}

export interface IssueType {
  id: string;
  name: string;
  description: string;
  subtask: boolean;
}

export interface Priority {
  id: string;
  name: string;
  statusColor: string;
}

/** A field on the create/edit screen. `kind` drives validation and the createmeta `schema`. */
export interface FieldDef {
  id: string;
  name: string;
  kind: 'summary' | 'issuetype' | 'project' | 'richtext' | 'priority' | 'labels' | 'user' | 'date' | 'string' | 'option';
  /** Issue type ids whose screen shows this field; absent = all. */
  issueTypes?: string[];
  options?: { id: string; value: string }[];
}

export interface Project {
  id: string;
  key: string;
  name: string;
  issueTypeIds: string[];
  /** Field ids required on create, beyond summary/project/issuetype. */
  requiredFields: string[];
  leadAccountId: string;
}

export interface ChangeItem {
  field: string;
  fieldtype: 'jira' | 'custom';
  fieldId: string;
  from: string | null;
  fromString: string | null;
  to: string | null;
  toString: string | null;
}

export interface Comment {
  id: string;
  authorId: string;
  body: unknown;
  created: number;
  updated: number;
}

export interface RemoteLink {
  id: number;
  globalId: string | null;
  application: unknown;
  relationship: string | null;
  object: Record<string, unknown>;
}

export interface Issue {
  id: string;
  key: string;
  projectId: string;
  issueTypeId: string;
  summary: string;
  description: unknown;
  environment: unknown;
  priorityId: string | null;
  labels: string[];
  assigneeId: string | null;
  reporterId: string;
  creatorId: string;
  statusId: string;
  resolution: string | null;
  resolutionDate: number | null;
  duedate: string | null;
  custom: Record<string, unknown>;
  properties: Record<string, unknown>;
  comments: Comment[];
  remoteLinks: RemoteLink[];
  changelog: { id: string; authorId: string; created: number; items: ChangeItem[] }[];
  created: number;
  updated: number;
  statusCategoryChangedAt: number;
}

export interface Flavor {
  kind: 'cloud' | 'server';
  apiVersion: '2' | '3';
  /** Rich text on the wire: ADF documents (Cloud v3) or wiki-markup strings (Server v2). */
  richText: 'adf' | 'wiki';
}

export const CLOUD: Flavor = { kind: 'cloud', apiVersion: '3', richText: 'adf' };
export const SERVER: Flavor = { kind: 'server', apiVersion: '2', richText: 'wiki' };
