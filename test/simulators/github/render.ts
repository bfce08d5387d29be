/**
 * JSON renderers for GitHub resources (users, repositories, refs, commits, pull requests, labels,
 * comments), shaped like the REST API's responses and the corpus webhook payloads, with every URL
 * pointing back at this simulator so clients that follow `url`/`clone_url` stay on it.
 */
import type { CommitObject } from './git-plumbing.ts';
import type { CommentRecord, LabelRecord, PullRecord, RepoRecord, SimUser } from './state.ts';
import { nodeId } from './state.ts';

export interface Urls {
  /** http://127.0.0.1:port (html and git). */
  web: string;
  /** http://127.0.0.1:port/api/v3 */
  api: string;
}

export function userJson(urls: Urls, user: SimUser): Record<string, unknown> {
  const api = `${urls.api}/users/${user.login}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId('04:User', user.id),
    avatar_url: `${urls.web}/avatars/u/${user.id}`,
    gravatar_id: '',
    url: api,
    html_url: `${urls.web}/${user.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: 'User',
    site_admin: false,
  };
}

function ownerUser(repo: RepoRecord): SimUser {
  // Owners are organisations in the seeds; a stable id derived from the name keeps payloads steady.
  let id = 0;
  for (const ch of repo.owner) id = (id * 31 + ch.charCodeAt(0)) % 1_000_000;
  return { login: repo.owner, id: 9_000_000 + id, name: repo.owner, email: '' };
}

export interface Permissions {
  admin: boolean;
  maintain: boolean;
  push: boolean;
  triage: boolean;
  pull: boolean;
}

export function repoJson(urls: Urls, repo: RepoRecord, permissions: Permissions | null): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  const html = `${urls.web}/${repo.fullName}`;
  const json: Record<string, unknown> = {
    id: repo.id,
    node_id: nodeId('010:Repository', repo.id),
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    owner: { ...userJson(urls, ownerUser(repo)), type: 'Organization' },
    html_url: html,
    description: repo.description,
    fork: false,
    url: api,
    forks_url: `${api}/forks`,
    keys_url: `${api}/keys{/key_id}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    teams_url: `${api}/teams`,
    hooks_url: `${api}/hooks`,
    issue_events_url: `${api}/issues/events{/number}`,
    events_url: `${api}/events`,
    assignees_url: `${api}/assignees{/user}`,
    branches_url: `${api}/branches{/branch}`,
    tags_url: `${api}/tags`,
    blobs_url: `${api}/git/blobs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    statuses_url: `${api}/statuses/{sha}`,
    languages_url: `${api}/languages`,
    stargazers_url: `${api}/stargazers`,
    contributors_url: `${api}/contributors`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    comments_url: `${api}/comments{/number}`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    contents_url: `${api}/contents/{+path}`,
    compare_url: `${api}/compare/{base}...{head}`,
    merges_url: `${api}/merges`,
    archive_url: `${api}/{archive_format}{/ref}`,
    downloads_url: `${api}/downloads`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    labels_url: `${api}/labels{/name}`,
    releases_url: `${api}/releases{/id}`,
    deployments_url: `${api}/deployments`,
    created_at: repo.createdAt,
    updated_at: repo.pushedAt,
    pushed_at: repo.pushedAt,
    git_url: `${urls.web.replace(/^http/, 'git')}/${repo.fullName}.git`,
    ssh_url: `git@${new URL(urls.web).host}:${repo.fullName}.git`,
    clone_url: `${html}.git`,
    svn_url: html,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: repo.private ? 'private' : 'public',
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: repo.defaultBranch,
  };
  if (permissions) json.permissions = permissions;
  return json;
}

export function signatureJson(sig: { name: string; email: string; date: string }): Record<string, unknown> {
  return { name: sig.name, email: sig.email, date: sig.date };
}

/** `GET /git/commits/{sha}` shape. */
export function gitCommitJson(urls: Urls, repo: RepoRecord, commit: CommitObject): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    sha: commit.oid,
    node_id: nodeId('06:Commit', Number.parseInt(commit.oid.slice(0, 8), 16)),
    url: `${api}/git/commits/${commit.oid}`,
    html_url: `${urls.web}/${repo.fullName}/commit/${commit.oid}`,
    author: signatureJson(commit.author),
    committer: signatureJson(commit.committer),
    tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
    message: commit.message,
    parents: commit.parents.map((p) => ({ sha: p, url: `${api}/git/commits/${p}`, html_url: `${urls.web}/${repo.fullName}/commit/${p}` })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  };
}

/** The `commit` object inside branches and `/commits/{sha}` (the "repos" commit shape). */
export function repoCommitJson(urls: Urls, repo: RepoRecord, commit: CommitObject): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    sha: commit.oid,
    node_id: nodeId('06:Commit', Number.parseInt(commit.oid.slice(0, 8), 16)),
    commit: {
      author: signatureJson(commit.author),
      committer: signatureJson(commit.committer),
      message: commit.message,
      tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
      url: `${api}/git/commits/${commit.oid}`,
      comment_count: 0,
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
    url: `${api}/commits/${commit.oid}`,
    html_url: `${urls.web}/${repo.fullName}/commit/${commit.oid}`,
    comments_url: `${api}/commits/${commit.oid}/comments`,
    author: null,
    committer: null,
    parents: commit.parents.map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${urls.web}/${repo.fullName}/commit/${p}` })),
  };
}

export function refJson(urls: Urls, repo: RepoRecord, ref: string, oid: string, type = 'commit'): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    ref,
    node_id: Buffer.from(`04:Ref${repo.id}:${ref}`).toString('base64').replace(/=+$/, ''),
    url: `${api}/git/${ref}`,
    object: { sha: oid, type, url: `${api}/git/${type}s/${oid}` },
  };
}

export function labelJson(urls: Urls, repo: RepoRecord, label: LabelRecord): Record<string, unknown> {
  return {
    id: label.id,
    node_id: nodeId('05:Label', label.id),
    url: `${urls.api}/repos/${repo.fullName}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    color: label.color,
    default: label.default,
    description: label.description,
  };
}

export function commentJson(urls: Urls, repo: RepoRecord, comment: CommentRecord): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    url: `${api}/issues/comments/${comment.id}`,
    html_url: `${urls.web}/${repo.fullName}/pull/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${api}/issues/${comment.issueNumber}`,
    id: comment.id,
    node_id: nodeId('012:IssueComment', comment.id),
    user: userJson(urls, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    author_association: 'MEMBER',
    body: comment.body,
    reactions: { url: `${api}/issues/comments/${comment.id}/reactions`, total_count: 0, '+1': 0, '-1': 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 },
    performed_via_github_app: null,
  };
}

export interface PullExtras {
  baseSha: string;
  labels: LabelRecord[];
  comments: number;
  /** Only the single-PR GET computes mergeability; lists and creation answer null/"unknown". */
  mergeable: boolean | null;
  mergeableState: string;
  /** For open PRs, GitHub reports the test-merge commit here: non-null does not mean merged. */
  mergeCommitSha: string | null;
  commits?: number;
  additions?: number;
  deletions?: number;
  changedFiles?: number;
}

export function pullJson(urls: Urls, repo: RepoRecord, pr: PullRecord, extras: PullExtras, detailed: boolean): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  const html = `${urls.web}/${repo.fullName}/pull/${pr.number}`;
  const repoLite = repoJson(urls, repo, null);
  const json: Record<string, unknown> = {
    url: `${api}/pulls/${pr.number}`,
    id: pr.id,
    node_id: nodeId('011:PullRequest', pr.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${pr.number}`,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: userJson(urls, pr.user),
    body: pr.body,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    merged_at: pr.mergedAt,
    merge_commit_sha: pr.mergedAt ? pr.mergeCommitSha : extras.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    labels: extras.labels.map((l) => labelJson(urls, repo, l)),
    milestone: null,
    draft: pr.draft,
    commits_url: `${api}/pulls/${pr.number}/commits`,
    review_comments_url: `${api}/pulls/${pr.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pr.number}/comments`,
    statuses_url: `${api}/statuses/${pr.headSha}`,
    head: { label: `${repo.owner}:${pr.headRef}`, ref: pr.headRef, sha: pr.headSha, user: repoLite.owner, repo: repoLite },
    base: { label: `${repo.owner}:${pr.baseRef}`, ref: pr.baseRef, sha: extras.baseSha, user: repoLite.owner, repo: repoLite },
    _links: {
      self: { href: `${api}/pulls/${pr.number}` },
      html: { href: html },
      issue: { href: `${api}/issues/${pr.number}` },
      comments: { href: `${api}/issues/${pr.number}/comments` },
      review_comments: { href: `${api}/pulls/${pr.number}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${api}/pulls/${pr.number}/commits` },
      statuses: { href: `${api}/statuses/${pr.headSha}` },
    },
    author_association: 'MEMBER',
    auto_merge: null,
    active_lock_reason: null,
  };
  if (detailed) {
    Object.assign(json, {
      merged: pr.mergedAt !== null,
      mergeable: pr.state === 'open' ? extras.mergeable : null,
      rebaseable: pr.state === 'open' ? extras.mergeable : null,
      mergeable_state: pr.state === 'open' ? extras.mergeableState : 'unknown',
      merged_by: pr.mergedBy ? userJson(urls, pr.mergedBy) : null,
      comments: extras.comments,
      review_comments: 0,
      maintainer_can_modify: pr.maintainerCanModify,
      commits: extras.commits ?? 0,
      additions: extras.additions ?? 0,
      deletions: extras.deletions ?? 0,
      changed_files: extras.changedFiles ?? 0,
    });
  }
  return json;
}
