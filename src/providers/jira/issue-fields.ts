/**
 * Builds the Jira create fields for one finding from the connection's mapping and the request's
 * options, and checks them against the project's create screen once per batch, so a field the
 * screen does not take is one clear error instead of every issue failing at Jira.
 */
import { fingerprintLabel } from '../../domain/fingerprint.ts';
import { buildSummary, descriptionFor, type FindingForJira } from './description.ts';
import type { CreateField, JiraFlavor, JiraUserRef } from './types.ts';

export interface FieldOptions {
  flavor: JiraFlavor;
  projectKey: string;
  issueType: string;
  /** The provider's own priority name, or null to leave priority to Jira's default. */
  priority: string | null;
  assignee: JiraUserRef | null;
  dueDate: string | null;
  components: string[];
  labels: string[];
  customFields: Record<string, unknown>;
}

/** Labels may not contain spaces on Jira. */
export function safeLabel(value: string): string {
  return value.trim().replace(/\s+/g, '-').slice(0, 255);
}

export function buildIssueFields(finding: FindingForJira & { fingerprint: string }, options: FieldOptions): Record<string, unknown> {
  const labels = [...new Set(['security', ...options.labels.map(safeLabel), fingerprintLabel(finding.fingerprint)].filter(Boolean))];
  const fields: Record<string, unknown> = {
    project: { key: options.projectKey },
    issuetype: { name: options.issueType },
    summary: buildSummary(finding),
    description: descriptionFor(options.flavor, finding),
    labels,
  };
  if (options.priority) fields.priority = { name: options.priority };
  if (options.dueDate) fields.duedate = options.dueDate;
  if (options.components.length > 0) fields.components = options.components.map((name) => ({ name }));
  if (options.assignee) {
    fields.assignee = options.flavor === 'cloud' ? { accountId: options.assignee.accountId } : { name: options.assignee.name };
  }
  for (const [fieldId, value] of Object.entries(options.customFields)) fields[fieldId] = value;
  return fields;
}

export interface ScreenCheck {
  /** Fields we add by default that the screen lacks; they are left out, with a note. */
  dropped: string[];
  /** Problems that would make every create fail; non-empty means do not send. */
  problems: { field: string; message: string }[];
}

/** Fields we add on our own and can leave out when the screen does not have them. */
const OPTIONAL_DEFAULTS = new Set(['priority', 'duedate']);

export function checkAgainstScreen(fields: Record<string, unknown>, screen: CreateField[], requested: Set<string>): ScreenCheck {
  const onScreen = new Map(screen.map((field) => [field.fieldId, field]));
  const dropped: string[] = [];
  const problems: { field: string; message: string }[] = [];
  for (const fieldId of Object.keys(fields)) {
    if (fieldId === 'project' || fieldId === 'issuetype' || onScreen.has(fieldId)) continue;
    if (OPTIONAL_DEFAULTS.has(fieldId) && !requested.has(fieldId)) {
      dropped.push(fieldId);
    } else if (fieldId === 'labels') {
      problems.push({ field: 'labels', message: 'the create screen has no Labels field; add it, since labels are how we recognise our issues and never create one twice' });
    } else {
      problems.push({ field: fieldId, message: `field "${fieldId}" is not on the create screen of this project and issue type` });
    }
  }
  for (const field of screen) {
    if (field.required && !field.hasDefaultValue && !(field.fieldId in fields) && field.fieldId !== 'reporter') {
      problems.push({ field: field.fieldId, message: `field "${field.name}" (${field.fieldId}) is required by the create screen; give it with custom_fields` });
    }
  }
  return { dropped, problems };
}

export function withoutFields(fields: Record<string, unknown>, drop: string[]): Record<string, unknown> {
  if (drop.length === 0) return fields;
  const copy = { ...fields };
  for (const fieldId of drop) delete copy[fieldId];
  return copy;
}
