/** GitHub's pull request JSON → PullRef (list answers carry `merged_at` but no `merged`). */
import type { PullRef } from './types.ts';

export interface PullJson {
  number: number;
  html_url: string;
  url: string;
  state: string;
  merged?: boolean | null;
  merged_at?: string | null;
  head: { ref: string; sha: string };
  base: { ref: string };
  title: string;
  body?: string | null;
}

export function toPullRef(pull: PullJson): PullRef {
  return {
    number: pull.number,
    url: pull.html_url,
    apiUrl: pull.url,
    state: pull.state === 'open' ? 'open' : 'closed',
    merged: pull.merged === true || (pull.merged_at !== undefined && pull.merged_at !== null),
    headRef: pull.head.ref,
    headSha: pull.head.sha,
    baseRef: pull.base.ref,
    title: pull.title,
    body: pull.body ?? null,
  };
}
