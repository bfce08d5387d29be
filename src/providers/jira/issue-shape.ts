/**
 * Reading Jira's issue JSON into JiraIssue, the same for v2 and v3 (they differ in rich-text fields
 * only, which stay untouched in `fields`), and building the human `/browse/{key}` link.
 */
import { JIRA_BAD_RESPONSE, JiraError } from './errors.ts';
import type { JiraIssue, JiraIssueRef, JiraTarget } from './types.ts';

/** Fields every JiraIssue carries; always requested. */
export const CORE_FIELDS = ['summary', 'status', 'priority', 'labels', 'updated'];

export function browseBase(target: JiraTarget): string {
  return (target.browseUrl ?? target.baseUrl).replace(/\/+$/, '');
}

export function issueUrl(target: JiraTarget, key: string): string {
  return `${browseBase(target)}/browse/${encodeURIComponent(key)}`;
}

export function refFrom(target: JiraTarget, raw: unknown): JiraIssueRef {
  const value = raw as { id?: unknown; key?: unknown } | null;
  if (!value || (typeof value.id !== 'string' && typeof value.id !== 'number') || typeof value.key !== 'string') {
    throw new JiraError(JIRA_BAD_RESPONSE, 'Jira answered without an issue id and key');
  }
  return { id: String(value.id), key: value.key, url: issueUrl(target, value.key) };
}

export function issueFrom(target: JiraTarget, raw: unknown): JiraIssue {
  const ref = refFrom(target, raw);
  const fields = ((raw as { fields?: unknown }).fields ?? {}) as Record<string, unknown>;
  const status = fields.status as { name?: unknown; statusCategory?: { key?: unknown } } | undefined;
  const priority = fields.priority as { name?: unknown } | null | undefined;
  return {
    ...ref,
    status: {
      name: typeof status?.name === 'string' ? status.name : '',
      categoryKey: typeof status?.statusCategory?.key === 'string' ? status.statusCategory.key : '',
    },
    priority: typeof priority?.name === 'string' ? priority.name : null,
    labels: Array.isArray(fields.labels) ? fields.labels.filter((l): l is string => typeof l === 'string') : [],
    summary: typeof fields.summary === 'string' ? fields.summary : '',
    updated: typeof fields.updated === 'string' ? fields.updated : '',
    fields,
  };
}

export function fieldList(extra: string[] | undefined): string[] {
  return [...new Set([...CORE_FIELDS, ...(extra ?? [])])];
}
