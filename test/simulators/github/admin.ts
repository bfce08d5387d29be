/**
 * In-process admin API: read what the simulator holds (PRs, comments, labels, refs, files, requests
 * received, webhook deliveries), change its behaviour (faults, rate limits, webhooks) and act as
 * another person (a commit pushed to a branch by someone else, to check we never force-push over it).
 */
import type { FaultInjector } from '../common/faults.ts';
import type { RecordedRequest } from '../common/request-log.ts';
import type { SimContext } from './context.ts';
import { listRefs, lsTree, readBlob, readRef, updateRef, ZERO_OID } from './git-plumbing.ts';
import { refsUpdated, renderPull } from './pull-service.ts';
import type { RateLimitConfig, RateLimiter } from './rate-limits.ts';
import { commentJson, labelJson } from './render.ts';
import { commitFiles, createRepository } from './repositories.ts';
import { findRepo, type PullRecord, type RepoRecord, type SimUser } from './state.ts';
import type { DeliveryRecord, HookRecord, WebhookTarget } from './webhooks.ts';

/** The person behind admin "someone else" commits and pushes. */
export const OTHER_USER: SimUser = { login: 'other-dev', id: 58_000_001, name: 'Other Developer', email: 'other-dev@acme.example' };

export interface GitHubSimulatorAdmin {
  repos(): { fullName: string; private: boolean; defaultBranch: string; gitDir: string }[];
  /** Raw PR records (head/base, state, merged), optionally for one repository. */
  pulls(repo?: string): PullRecord[];
  /** A PR rendered exactly as `GET /pulls/{n}` would answer it. */
  pull(repo: string, number: number): Promise<Record<string, unknown> | null>;
  comments(repo: string, issueNumber: number): Record<string, unknown>[];
  labels(repo: string): Record<string, unknown>[];
  /** refname → sha, read from the bare repository. */
  refs(repo: string): Promise<Record<string, string>>;
  readFile(repo: string, path: string, ref?: string): Promise<string | null>;
  /** A commit on `branch` by another person (creates the branch from the default branch if missing). */
  commitAsSomeoneElse(input: { repo: string; branch: string; files: Record<string, string | null>; message?: string; author?: { name: string; email: string } }): Promise<string>;
  createRepo(input: { fullName: string; private?: boolean; files?: Record<string, string> }): Promise<string>;
  requests(): RecordedRequest[];
  clearRequests(): void;
  hooks(): HookRecord[];
  addWebhook(target: WebhookTarget): HookRecord;
  removeWebhook(id: number): boolean;
  deliveries(): DeliveryRecord[];
  /** Lose every delivery from now on (true) or send again (false); see webhooks.ts. */
  dropWebhooks(drop: boolean): void;
  /** Redeliver each failed delivery after these waits (same guid); [] = never, as GitHub. */
  setWebhookRedelivery(delaysMs: number[]): void;
  /** GitHub's "Redeliver" of one recorded delivery. */
  redeliver(deliveryId: number): Promise<DeliveryRecord | null>;
  /** Waits until webhook payloads triggered so far have been delivered (or failed). */
  settle(): Promise<void>;
  readonly faults: FaultInjector;
  readonly rateLimits: RateLimiter;
  setRateLimits(patch: Partial<RateLimitConfig>): void;
}

export function createAdmin(ctx: SimContext): GitHubSimulatorAdmin {
  const repoOrThrow = (fullName: string): RepoRecord => {
    const [owner = '', name = ''] = fullName.split('/');
    const repo = findRepo(ctx.state, owner, name);
    if (!repo) throw new Error(`unknown repository ${fullName}`);
    return repo;
  };
  return {
    repos: () => [...ctx.state.repos.values()].map((r) => ({ fullName: r.fullName, private: r.private, defaultBranch: r.defaultBranch, gitDir: r.gitDir })),
    pulls: (repo) => ctx.state.pulls.filter((p) => !repo || p.repo.toLowerCase() === repo.toLowerCase()),
    async pull(repoName, number) {
      const repo = repoOrThrow(repoName);
      const pr = ctx.state.pulls.find((p) => p.repo === repo.fullName && p.number === number);
      return pr ? renderPull(ctx, repo, pr, 'detail') : null;
    },
    comments(repoName, issueNumber) {
      const repo = repoOrThrow(repoName);
      return ctx.state.comments.filter((c) => c.repo === repo.fullName && c.issueNumber === issueNumber).map((c) => commentJson(ctx.urls, repo, c));
    },
    labels(repoName) {
      const repo = repoOrThrow(repoName);
      return (ctx.state.labels.get(repo.fullName.toLowerCase()) ?? []).map((l) => labelJson(ctx.urls, repo, l));
    },
    async refs(repoName) {
      const repo = repoOrThrow(repoName);
      return Object.fromEntries((await listRefs(repo.gitDir)).map((r) => [r.ref, r.oid]));
    },
    async readFile(repoName, path, ref) {
      const repo = repoOrThrow(repoName);
      const commit = await readRef(repo.gitDir, ref ?? `refs/heads/${repo.defaultBranch}`).then((oid) => oid ?? (ref ? readRef(repo.gitDir, `refs/heads/${ref}`) : null));
      if (!commit) return null;
      const [entry] = await lsTree(repo.gitDir, commit, { path });
      if (!entry || entry.path !== path || entry.type !== 'blob') return null;
      return (await readBlob(repo.gitDir, entry.oid))?.toString('utf8') ?? null;
    },
    async commitAsSomeoneElse(input) {
      const repo = repoOrThrow(input.repo);
      const author = input.author ?? { name: OTHER_USER.name, email: OTHER_USER.email };
      return ctx.withRepoLock(repo.fullName, async () => {
        const ref = `refs/heads/${input.branch}`;
        if (!(await readRef(repo.gitDir, ref))) {
          const base = await readRef(repo.gitDir, `refs/heads/${repo.defaultBranch}`);
          if (base) await updateRef(repo.gitDir, ref, base, ZERO_OID);
        }
        const { before, after } = await commitFiles(repo, input.branch, { message: input.message ?? 'Change by someone else', files: input.files, author });
        refsUpdated(ctx, repo, [{ ref, before, after }], OTHER_USER);
        return after;
      });
    },
    async createRepo(input) {
      const repo = await createRepository(ctx, {
        fullName: input.fullName,
        private: input.private ?? true,
        commits: input.files ? [{ message: 'Initial commit', files: input.files }] : [],
      });
      return repo.fullName;
    },
    requests: () => ctx.requestLog?.entries ?? [],
    clearRequests: () => ctx.requestLog?.clear(),
    hooks: () => ctx.webhooks.hooks,
    addWebhook: (target) => ctx.webhooks.add(target),
    removeWebhook: (id) => ctx.webhooks.remove(id),
    deliveries: () => ctx.webhooks.deliveries,
    dropWebhooks: (drop) => ctx.webhooks.setDrop(drop),
    setWebhookRedelivery: (delaysMs) => ctx.webhooks.setRedelivery(delaysMs),
    redeliver: (deliveryId) => ctx.webhooks.redeliver(deliveryId),
    async settle() {
      await ctx.settle();
      await ctx.webhooks.idle();
    },
    faults: ctx.faults,
    rateLimits: ctx.limits,
    setRateLimits: (patch) => ctx.limits.configure(patch),
  };
}
