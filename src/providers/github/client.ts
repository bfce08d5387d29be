/**
 * createGitHubClient: the GitHubClient interface over Octokit (octokit.ts), whose every request
 * goes through the outbound client. Each method names what it was doing, so a failure becomes a
 * GitHubError a user can act on ("the token cannot push to acme/web").
 */
import { secretsOf } from '../credentials/index.ts';
import { githubFailureOf } from './code-host.ts';
import { GITHUB_NOT_FOUND, GITHUB_VALIDATION, GitHubError, isGitHubError } from './errors.ts';
import { type CallSubject, toGitHubError } from './error-mapping.ts';
import { createOctokit, DEFAULT_OPTIONS } from './octokit.ts';
import { type PullJson, toPullRef } from './pulls.ts';
import { listTreeComplete, type RawTree } from './tree.ts';
import type {
  CommitFile,
  CommitInfo,
  CommitSummary,
  GitHubClient,
  GitHubClientDeps,
  GitHubClientOptions,
  GitHubTarget,
  PullRef,
  RepoRef,
  TreeEntry,
} from './types.ts';

/** Text up to this size goes inline in the tree request (one request instead of one per file). */
const INLINE_CONTENT_LIMIT = 512 * 1024;
type FileMode = '100644' | '100755' | '120000';
const FILE_MODES: ReadonlySet<string> = new Set<FileMode>(['100644', '100755', '120000']);
/** Walking parents when the compare API is missing (the simulator, old GHES) stops after this many. */
const MAX_WALKED_COMMITS = 250;

const full = (ref: RepoRef) => `${ref.owner}/${ref.repo}`;
const repoMissing = (ref: RepoRef) => `repository ${full(ref)} was not found, or the token cannot see it`;
const read = (ref: RepoRef, what = full(ref)): CallSubject => ({ action: `read ${what}`, notFound: repoMissing(ref) });
const push = (ref: RepoRef): CallSubject => ({ action: `push to ${full(ref)}`, notFound: repoMissing(ref), write: true });

function checkFilePath(path: string, index: number): void {
  const segments = path.split('/');
  if (path === '' || path.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..' || s.toLowerCase() === '.git')) {
    throw new GitHubError(GITHUB_VALIDATION, `file path ${JSON.stringify(path.slice(0, 200))} is not a repository-relative path`, { field: `files[${index}].path` });
  }
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

interface TreeJson {
  truncated?: boolean;
  tree: { path: string; type: string; sha: string; size?: number; mode: string }[];
}

interface CommitJson {
  sha: string;
  tree: { sha: string };
  parents: { sha: string }[];
  author?: { email?: string | null } | null;
  committer?: { email?: string | null } | null;
  message: string;
}

function toEntry(entry: TreeJson['tree'][number]): TreeEntry {
  const type = entry.type === 'tree' || entry.type === 'commit' ? entry.type : 'blob';
  return { path: entry.path, type, sha: entry.sha, mode: entry.mode, ...(typeof entry.size === 'number' ? { size: entry.size } : {}) };
}

export function createGitHubClient(target: GitHubTarget, deps: GitHubClientDeps): GitHubClient {
  const options: GitHubClientOptions = { ...DEFAULT_OPTIONS, ...deps.options };
  // The secrets used so far, for scrubbing error text; filled as the source hands credentials out.
  const secrets: string[] = [];
  const octokit = createOctokit(target, deps, options, (credential) => {
    for (const secret of secretsOf(credential)) if (!secrets.includes(secret)) secrets.push(secret);
  });
  const host = (() => {
    try {
      return new URL(target.apiUrl).host;
    } catch {
      return 'the configured GitHub';
    }
  })();

  async function call<T>(subject: CallSubject, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toGitHubError(error, subject, host, secrets);
    }
  }

  async function getRepo(ref: RepoRef) {
    const { data } = await call(read(ref), () => octokit.request('GET /repos/{owner}/{repo}', { owner: ref.owner, repo: ref.repo }));
    return {
      defaultBranch: data.default_branch,
      private: data.private,
      cloneUrl: data.clone_url,
      htmlUrl: data.html_url,
      canPush: data.permissions?.push === true,
    };
  }

  async function getBranchHead(ref: RepoRef, branch: string): Promise<string | null> {
    try {
      const { data } = await call(read(ref, `branch ${branch} of ${full(ref)}`), () =>
        octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { owner: ref.owner, repo: ref.repo, ref: `heads/${branch}` }),
      );
      return data.object.sha;
    } catch (error) {
      if (!isGitHubError(error, GITHUB_NOT_FOUND)) throw error;
      // GitHub answers 404 for a missing repository too; that must not read as "no branch yet".
      await getRepo(ref);
      return null;
    }
  }

  async function getCommit(ref: RepoRef, sha: string): Promise<CommitInfo> {
    const subject = { ...read(ref, `commit ${sha} of ${full(ref)}`), notFound: `commit ${sha} was not found in ${full(ref)} (or the repository is not visible to the token)` };
    const { data } = await call(subject, () => octokit.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', { owner: ref.owner, repo: ref.repo, commit_sha: sha }));
    const commit = data as unknown as CommitJson;
    return {
      sha: commit.sha,
      treeSha: commit.tree.sha,
      parents: commit.parents.map((p) => p.sha),
      authorEmail: commit.author?.email ?? null,
      committerEmail: commit.committer?.email ?? null,
      message: commit.message,
    };
  }

  async function fetchTree(ref: RepoRef, sha: string, recursive: boolean): Promise<RawTree> {
    const subject = { ...read(ref, `tree ${sha} of ${full(ref)}`), notFound: `tree ${sha} was not found in ${full(ref)} (or the repository is not visible to the token)` };
    const { data } = await call(subject, () =>
      octokit.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        owner: ref.owner,
        repo: ref.repo,
        tree_sha: sha,
        // GitHub reads any value of `recursive` as true, so it is left out rather than set to false.
        ...(recursive ? { recursive: '1' } : {}),
      }),
    );
    const tree = data as unknown as TreeJson;
    return { truncated: tree.truncated === true, entries: tree.tree.map(toEntry) };
  }

  async function readBlob(ref: RepoRef, sha: string): Promise<Buffer> {
    const subject = { ...read(ref, `blob ${sha} of ${full(ref)}`), notFound: `blob ${sha} was not found in ${full(ref)} (or the repository is not visible to the token)` };
    const { data } = await call(subject, () => octokit.request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', { owner: ref.owner, repo: ref.repo, file_sha: sha }));
    return data.encoding === 'base64' ? Buffer.from(data.content, 'base64') : Buffer.from(data.content, 'utf8');
  }

  async function treeItem(ref: RepoRef, file: CommitFile, index: number) {
    checkFilePath(file.path, index);
    const mode = (file.mode ?? '100644') as FileMode;
    if (!FILE_MODES.has(mode)) throw new GitHubError(GITHUB_VALIDATION, `file mode ${JSON.stringify(mode)} is not one of 100644, 100755, 120000`, { field: `files[${index}].mode` });
    const bytes = typeof file.content === 'string' ? null : file.content;
    const text = typeof file.content === 'string' ? file.content : isUtf8(file.content) ? file.content.toString('utf8') : null;
    if (text !== null && Buffer.byteLength(text) <= INLINE_CONTENT_LIMIT) return { path: file.path, mode, type: 'blob' as const, content: text };
    const payload = bytes ?? Buffer.from(text ?? '', 'utf8');
    const { data } = await call(push(ref), () =>
      octokit.request('POST /repos/{owner}/{repo}/git/blobs', { owner: ref.owner, repo: ref.repo, content: payload.toString('base64'), encoding: 'base64' }),
    );
    return { path: file.path, mode, type: 'blob' as const, sha: data.sha };
  }

  return {
    getRepo,
    getBranchHead,
    getCommit,

    listTree: (ref, treeSha) => listTreeComplete((sha, recursive) => fetchTree(ref, sha, recursive), treeSha, options.treeWalkConcurrency),

    readBlob,

    async commitFiles(ref, input) {
      if (input.files.length === 0) throw new GitHubError(GITHUB_VALIDATION, 'a commit needs at least one file', { field: 'files' });
      const items: Awaited<ReturnType<typeof treeItem>>[] = [];
      // One at a time: blob creation is content-creating and spaced anyway.
      for (const [index, file] of input.files.entries()) items.push(await treeItem(ref, file, index));
      const tree = await call(push(ref), () =>
        octokit.request('POST /repos/{owner}/{repo}/git/trees', { owner: ref.owner, repo: ref.repo, base_tree: input.baseTreeSha, tree: items }),
      );
      const commit = await call(push(ref), () =>
        octokit.request('POST /repos/{owner}/{repo}/git/commits', {
          owner: ref.owner,
          repo: ref.repo,
          message: input.message,
          tree: tree.data.sha,
          parents: [input.parentSha],
          ...(input.author ? { author: { name: input.author.name, email: input.author.email } } : {}),
        }),
      );
      return { commitSha: commit.data.sha, treeSha: tree.data.sha };
    },

    async createRef(ref, branch, sha) {
      await call({ ...push(ref), action: `create branch ${branch} in ${full(ref)}` }, () =>
        octokit.request('POST /repos/{owner}/{repo}/git/refs', { owner: ref.owner, repo: ref.repo, ref: `refs/heads/${branch}`, sha }),
      );
    },

    async updateRef(ref, branch, sha, force) {
      await call({ ...push(ref), action: `move branch ${branch} of ${full(ref)} to ${sha}` }, () =>
        octokit.request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', { owner: ref.owner, repo: ref.repo, ref: `heads/${branch}`, sha, force }),
      );
    },

    async listCommitsBetween(ref, base, head) {
      if (base === head) return [];
      try {
        const { data } = await call(read(ref, `commits ${base}...${head} of ${full(ref)}`), () =>
          octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', { owner: ref.owner, repo: ref.repo, basehead: `${base}...${head}`, per_page: 100 }),
        );
        return data.commits.map((c) => ({ sha: c.sha, authorEmail: c.commit.author?.email ?? null, committerEmail: c.commit.committer?.email ?? null }));
      } catch (error) {
        if (!isGitHubError(error, GITHUB_NOT_FOUND)) throw error;
      }
      // No compare API here: walk parents from head until base (breadth first, merges included).
      const seen = new Set<string>([base]);
      const queue = [head];
      const found: (CommitSummary & { order: number })[] = [];
      while (queue.length > 0 && found.length < MAX_WALKED_COMMITS) {
        const sha = queue.shift() as string;
        if (seen.has(sha)) continue;
        seen.add(sha);
        const commit = await getCommit(ref, sha);
        found.push({ sha, authorEmail: commit.authorEmail, committerEmail: commit.committerEmail, order: found.length });
        queue.push(...commit.parents);
      }
      return found.reverse().map(({ order: _order, ...summary }) => summary);
    },

    async findPull(ref, query) {
      const { data } = await call(read(ref, `pull requests of ${full(ref)}`), () =>
        octokit.request('GET /repos/{owner}/{repo}/pulls', {
          owner: ref.owner,
          repo: ref.repo,
          head: `${ref.owner}:${query.head}`,
          ...(query.base ? { base: query.base } : {}),
          state: query.state,
          sort: 'created',
          direction: 'desc',
          per_page: 100,
        }),
      );
      const pulls = (data as unknown as PullJson[]).filter((p) => p.head.ref === query.head);
      const chosen = pulls.find((p) => p.state === 'open') ?? pulls[0];
      return chosen ? toPullRef(chosen) : null;
    },

    async createPull(ref, input) {
      const { data } = await call({ ...push(ref), action: `open a pull request from ${input.head} into ${input.base} in ${full(ref)}` }, () =>
        octokit.request('POST /repos/{owner}/{repo}/pulls', {
          owner: ref.owner,
          repo: ref.repo,
          title: input.title,
          body: input.body,
          head: input.head,
          base: input.base,
          ...(input.maintainerCanModify === undefined ? {} : { maintainer_can_modify: input.maintainerCanModify }),
        }),
      );
      return toPullRef(data as unknown as PullJson);
    },

    async updatePull(ref, number, input): Promise<PullRef> {
      const subject = { ...push(ref), action: `update pull request #${number} of ${full(ref)}`, notFound: `pull request #${number} was not found in ${full(ref)}` };
      const { data } = await call(subject, () =>
        octokit.request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', {
          owner: ref.owner,
          repo: ref.repo,
          pull_number: number,
          ...(input.title === undefined ? {} : { title: input.title }),
          ...(input.body === undefined ? {} : { body: input.body }),
        }),
      );
      return toPullRef(data as unknown as PullJson);
    },

    async closePull(ref, number): Promise<PullRef> {
      const subject = { ...push(ref), action: `close pull request #${number} of ${full(ref)}`, notFound: `pull request #${number} was not found in ${full(ref)}` };
      const { data } = await call(subject, () =>
        octokit.request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { owner: ref.owner, repo: ref.repo, pull_number: number, state: 'closed' }),
      );
      return toPullRef(data as unknown as PullJson);
    },

    failureOf: (error) => githubFailureOf(error),

    async addLabels(ref, number, labels) {
      if (labels.length === 0) return;
      const subject = { ...push(ref), action: `label pull request #${number} of ${full(ref)}`, notFound: `pull request #${number} was not found in ${full(ref)}` };
      await call(subject, () => octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', { owner: ref.owner, repo: ref.repo, issue_number: number, labels }));
    },

    async comment(ref, number, body) {
      const subject = { ...push(ref), action: `comment on ${full(ref)}#${number}`, notFound: `pull request or issue #${number} was not found in ${full(ref)}` };
      const { data } = await call(subject, () =>
        octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: ref.owner, repo: ref.repo, issue_number: number, body }),
      );
      return { id: Number(data.id), url: data.html_url };
    },

    async listComments(ref, number, limit = 1000) {
      const subject = { ...read(ref, `comments of ${full(ref)}#${number}`), notFound: `pull request or issue #${number} was not found in ${full(ref)}` };
      const found: { id: number; body: string }[] = [];
      for (let page = 1; found.length < limit; page++) {
        const { data } = await call(subject, () =>
          octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: ref.owner, repo: ref.repo, issue_number: number, per_page: 100, page }),
        );
        for (const comment of data) found.push({ id: Number(comment.id), body: comment.body ?? '' });
        if (data.length < 100) break;
      }
      return found.slice(0, limit);
    },

    async whoAmI() {
      const { data } = await call({ action: 'read the token’s user', notFound: 'GitHub has no user for this token' }, () => octokit.request('GET /user'));
      return { login: data.login, id: typeof data.id === 'number' ? data.id : null, email: data.email ?? null };
    },
  };
}
