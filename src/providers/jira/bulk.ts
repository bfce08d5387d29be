/**
 * Bulk create in chunks of 50 (Jira's cap), mapping every outcome back to the caller's indexes. Jira
 * lists created issues in input order without their positions, so successes fill the positions not
 * named by `failedElementNumber`. A chunk that fails as a whole marks its items failed and stops: later
 * chunks are reported as not attempted, so the caller knows they certainly do not exist.
 */
import { JIRA_BAD_RESPONSE, JiraError, errorFromResponse } from './errors.ts';
import { refFrom } from './issue-shape.ts';
import type { JiraTransport } from './transport.ts';
import type { BulkCreateItem, BulkResult } from './types.ts';

export const BULK_CHUNK = 50;

type BulkAnswer = {
  issues?: unknown[];
  errors?: { status?: number; failedElementNumber?: number; elementErrors?: { errorMessages?: string[]; errors?: Record<string, string> } }[];
};

export async function bulkCreate(transport: JiraTransport, items: BulkCreateItem[]): Promise<BulkResult> {
  const result: BulkResult = { created: [], failed: [] };
  const kind = transport.authKind;
  for (let start = 0; start < items.length; start += BULK_CHUNK) {
    const chunk = items.slice(start, start + BULK_CHUNK);
    const projectKey = (chunk[0]?.fields.project as { key?: string } | undefined)?.key;
    const subject = { action: `bulk-create ${chunk.length} issues`, ...(projectKey ? { projectKey } : {}), write: true };
    let answer: BulkAnswer;
    try {
      // 400 is the all-failed answer and still carries per-item errors.
      const response = await transport.call({
        method: 'POST',
        path: '/issue/bulk',
        body: { issueUpdates: chunk.map((item) => ({ fields: item.fields, ...(item.properties ? { properties: item.properties } : {}) })) },
        subject,
        accept: [400],
      });
      answer = JSON.parse(response.body) as BulkAnswer;
      if (response.status === 400 && !Array.isArray(answer.errors)) throw errorFromResponse(response, subject, kind);
      if (response.status === 400 && answer.errors?.length === 0) throw errorFromResponse(response, subject, kind);
    } catch (error) {
      const failure =
        error instanceof JiraError ? error : new JiraError(JIRA_BAD_RESPONSE, 'Jira answered the bulk create with something that is not JSON', { outcomeUnknown: true });
      for (let index = start; index < items.length; index++) {
        const sent = index < start + chunk.length;
        result.failed.push({ index, status: sent ? failure.upstreamStatus : 0, error: failure, attempted: sent });
      }
      return result;
    }
    const failedOffsets = new Set<number>();
    for (const entry of answer.errors ?? []) {
      const offset = entry.failedElementNumber;
      if (typeof offset !== 'number' || offset < 0 || offset >= chunk.length) continue;
      failedOffsets.add(offset);
      const status = entry.status ?? 400;
      const body = JSON.stringify({ errorMessages: entry.elementErrors?.errorMessages ?? [], errors: entry.elementErrors?.errors ?? {} });
      result.failed.push({ index: start + offset, status, error: errorFromResponse({ status, body }, subject, kind), attempted: true });
    }
    const issues = answer.issues ?? [];
    const freeOffsets = chunk.map((_, offset) => offset).filter((offset) => !failedOffsets.has(offset));
    issues.forEach((raw, n) => {
      const offset = freeOffsets[n];
      if (offset !== undefined) result.created.push({ ...refFrom(transport.target, raw), index: start + offset });
    });
  }
  result.failed.sort((a, b) => a.index - b.index);
  return result;
}
