/**
 * GraphQL at `/api/graphql`: a small subset of GitHub's schema, executed by graphql-js so parsing and
 * validation are real (unknown fields, missing required input fields and bad variables are refused),
 * with errors rewritten into GitHub's wording and shape: `Field 'x' doesn't exist on type 'Y'`
 * (code `undefinedField`), `Variable $input of type T! was provided invalid value for f (...)`, and
 * resolver errors carrying GitHub's `type` (STALE_DATA, NOT_FOUND, FORBIDDEN, UNPROCESSABLE,
 * RATE_LIMITED) at the top level of the error object, answered with HTTP 200 as GitHub does.
 * Supported: `repository { defaultBranchRef { name target { oid } } ref object … }`, `viewer`,
 * `rateLimit`, and the `createCommitOnBranch` mutation with `expectedHeadOid` checking.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { buildSchema, execute, type GraphQLError, type GraphQLSchema, Kind, type OperationDefinitionNode, parse, validate } from 'graphql';
import { applyRateLimits, callerOf, peekRateLimit } from './api-support.ts';
import type { SimContext } from './context.ts';
import { GitHubError, sendError } from './errors.ts';
import { lsTree, MissingPathError, objectType, readBlob, readCommit, readRef, type TreeChange, updateRef, writeBlob, writeCommit, writeTreeWithChanges } from './git-plumbing.ts';
import { refsUpdated } from './pull-service.ts';
import { findRepo, grantCovers, isoNow, nodeId, type RepoRecord, type TokenGrant } from './state.ts';

const SDL = /* GraphQL */ `
  scalar GitObjectID
  scalar Base64String
  scalar URI
  scalar DateTime

  type Query {
    repository(owner: String!, name: String!, followRenames: Boolean): Repository
    viewer: User!
    rateLimit(dryRun: Boolean): RateLimit
  }

  type Mutation {
    createCommitOnBranch(input: CreateCommitOnBranchInput!): CreateCommitOnBranchPayload
  }

  type User { id: ID!, login: String!, name: String, email: String! }
  type RepositoryOwner { id: ID!, login: String! }
  type RateLimit { cost: Int!, limit: Int!, nodeCount: Int!, remaining: Int!, resetAt: DateTime!, used: Int! }

  type Repository {
    id: ID!
    name: String!
    nameWithOwner: String!
    owner: RepositoryOwner!
    isPrivate: Boolean!
    url: URI!
    defaultBranchRef: Ref
    ref(qualifiedName: String!): Ref
    object(expression: String, oid: GitObjectID): GitObject
  }

  type Ref { id: ID!, name: String!, prefix: String!, target: GitObject }

  interface GitObject { id: ID!, oid: GitObjectID!, abbreviatedOid: String!, commitUrl: URI! }

  type GitActor { name: String, email: String, date: String }

  type Commit implements GitObject {
    id: ID!
    oid: GitObjectID!
    abbreviatedOid: String!
    commitUrl: URI!
    url: URI!
    message: String!
    messageHeadline: String!
    messageBody: String!
    committedDate: DateTime!
    authoredDate: DateTime!
    author: GitActor
    committer: GitActor
    tree: Tree!
  }

  type Tree implements GitObject { id: ID!, oid: GitObjectID!, abbreviatedOid: String!, commitUrl: URI!, entries: [TreeEntry!] }
  type TreeEntry { name: String!, path: String, type: String!, mode: Int!, oid: GitObjectID! }
  type Blob implements GitObject { id: ID!, oid: GitObjectID!, abbreviatedOid: String!, commitUrl: URI!, byteSize: Int!, isBinary: Boolean, text: String }

  input CommittableBranch { id: ID, repositoryNameWithOwner: String, branchName: String }
  input CommitMessage { headline: String!, body: String }
  input FileAddition { path: String!, contents: Base64String! }
  input FileDeletion { path: String! }
  input FileChanges { additions: [FileAddition!], deletions: [FileDeletion!] }
  input CreateCommitOnBranchInput {
    branch: CommittableBranch!
    clientMutationId: String
    expectedHeadOid: GitObjectID!
    fileChanges: FileChanges
    message: CommitMessage!
  }
  type CreateCommitOnBranchPayload { clientMutationId: String, commit: Commit, ref: Ref }
`;

class TypedError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

interface Ctx {
  sim: SimContext;
  grant: TokenGrant | null;
  request: FastifyRequest;
}

function commitNode(sim: SimContext, repo: RepoRecord, oid: string) {
  return {
    __typename: 'Commit',
    id: nodeId('06:Commit', Number.parseInt(oid.slice(0, 8), 16)),
    oid,
    abbreviatedOid: oid.slice(0, 7),
    commitUrl: `${sim.urls.web}/${repo.fullName}/commit/${oid}`,
    url: `${sim.urls.web}/${repo.fullName}/commit/${oid}`,
    async message() {
      return (await readCommit(repo.gitDir, oid))?.message.replace(/\n$/, '') ?? '';
    },
    async messageHeadline() {
      return ((await readCommit(repo.gitDir, oid))?.message ?? '').split('\n')[0] ?? '';
    },
    async messageBody() {
      const message = (await readCommit(repo.gitDir, oid))?.message ?? '';
      return message.split('\n').slice(1).join('\n').trim();
    },
    async committedDate() {
      return (await readCommit(repo.gitDir, oid))?.committer.date;
    },
    async authoredDate() {
      return (await readCommit(repo.gitDir, oid))?.author.date;
    },
    async author() {
      return (await readCommit(repo.gitDir, oid))?.author;
    },
    async committer() {
      return (await readCommit(repo.gitDir, oid))?.committer;
    },
    async tree() {
      const tree = (await readCommit(repo.gitDir, oid))?.tree ?? '';
      return treeNode(sim, repo, tree);
    },
  };
}

function treeNode(sim: SimContext, repo: RepoRecord, oid: string) {
  return {
    __typename: 'Tree',
    id: nodeId('04:Tree', Number.parseInt(oid.slice(0, 8), 16)),
    oid,
    abbreviatedOid: oid.slice(0, 7),
    commitUrl: `${sim.urls.web}/${repo.fullName}`,
    async entries() {
      return (await lsTree(repo.gitDir, oid)).map((e) => ({ name: e.path, path: e.path, type: e.type, mode: Number.parseInt(e.mode, 8), oid: e.oid }));
    },
  };
}

async function objectNode(sim: SimContext, repo: RepoRecord, oid: string) {
  const type = await objectType(repo.gitDir, oid);
  if (type === 'commit') return commitNode(sim, repo, oid);
  if (type === 'tree') return treeNode(sim, repo, oid);
  if (type === 'blob') {
    const blob = (await readBlob(repo.gitDir, oid)) ?? Buffer.alloc(0);
    const isBinary = blob.includes(0);
    return { __typename: 'Blob', id: nodeId('04:Blob', Number.parseInt(oid.slice(0, 8), 16)), oid, abbreviatedOid: oid.slice(0, 7), commitUrl: `${sim.urls.web}/${repo.fullName}`, byteSize: blob.length, isBinary, text: isBinary ? null : blob.toString('utf8') };
  }
  return null;
}

function refNode(sim: SimContext, repo: RepoRecord, qualified: string, oid: string) {
  const prefix = qualified.startsWith('refs/heads/') ? 'refs/heads/' : qualified.startsWith('refs/tags/') ? 'refs/tags/' : 'refs/';
  return {
    id: Buffer.from(`04:Ref${repo.id}:${qualified}`).toString('base64').replace(/=+$/, ''),
    name: qualified.slice(prefix.length),
    prefix,
    target: () => objectNode(sim, repo, oid),
  };
}

function repositoryNode(sim: SimContext, repo: RepoRecord) {
  return {
    id: nodeId('010:Repository', repo.id),
    name: repo.name,
    nameWithOwner: repo.fullName,
    owner: { id: nodeId('012:Organization', repo.id), login: repo.owner },
    isPrivate: repo.private,
    url: `${sim.urls.web}/${repo.fullName}`,
    async defaultBranchRef() {
      const qualified = `refs/heads/${repo.defaultBranch}`;
      const oid = await readRef(repo.gitDir, qualified);
      return oid ? refNode(sim, repo, qualified, oid) : null;
    },
    async ref({ qualifiedName }: { qualifiedName: string }) {
      const qualified = qualifiedName.startsWith('refs/') ? qualifiedName : `refs/heads/${qualifiedName}`;
      const oid = await readRef(repo.gitDir, qualified);
      return oid ? refNode(sim, repo, qualified, oid) : null;
    },
    async object({ expression, oid }: { expression?: string; oid?: string }) {
      const rev = oid ?? expression;
      if (!rev || rev.startsWith('-')) return null;
      const resolved = await readRef(repo.gitDir, rev).catch(() => null);
      return resolved ? objectNode(sim, repo, resolved) : null;
    },
  };
}

function repoFromBranchInput(ctx: Ctx, branch: { id?: string; repositoryNameWithOwner?: string; branchName?: string }): { repo: RepoRecord; branchName: string } {
  if (branch.id) {
    const decoded = Buffer.from(branch.id, 'base64').toString('utf8');
    const match = /^04:Ref(\d+):refs\/heads\/(.+)$/.exec(decoded);
    const repo = match ? [...ctx.sim.state.repos.values()].find((r) => r.id === Number(match[1])) : undefined;
    if (!repo || !match?.[2] || !grantCovers(ctx.grant, repo)) throw new TypedError('NOT_FOUND', `Could not resolve to a node with the global id of '${branch.id}'`);
    return { repo, branchName: match[2] };
  }
  const [owner = '', name = ''] = (branch.repositoryNameWithOwner ?? '').split('/');
  const repo = findRepo(ctx.sim.state, owner, name);
  if (!repo || (repo.private && !ctx.grant) || !grantCovers(ctx.grant, repo)) throw new TypedError('NOT_FOUND', `Could not resolve to a Repository with the name '${branch.repositoryNameWithOwner ?? ''}'.`);
  if (!branch.branchName) throw new TypedError('UNPROCESSABLE', 'Either branch id or repository name and branch name must be provided.');
  return { repo, branchName: branch.branchName.replace(/^refs\/heads\//, '') };
}

interface CommitInput {
  branch: { id?: string; repositoryNameWithOwner?: string; branchName?: string };
  clientMutationId?: string;
  expectedHeadOid: string;
  fileChanges?: { additions?: { path: string; contents: string }[]; deletions?: { path: string }[] };
  message: { headline: string; body?: string };
}

async function createCommitOnBranch(ctx: Ctx, input: CommitInput) {
  if (!ctx.grant?.write) throw new TypedError('FORBIDDEN', ctx.grant?.installation ? 'Resource not accessible by integration' : 'Resource not accessible by personal access token');
  const { repo, branchName } = repoFromBranchInput(ctx, input.branch);
  const grant = ctx.grant;
  return ctx.sim.withRepoLock(repo.fullName, async () => {
    const ref = `refs/heads/${branchName}`;
    const head = await readRef(repo.gitDir, ref);
    if (!head) throw new TypedError('NOT_FOUND', `A ref named "${ref}" does not exist on repository ${repo.fullName}.`);
    if (head !== input.expectedHeadOid) {
      throw new TypedError('STALE_DATA', `Expected branch to point to "${input.expectedHeadOid}" but it did not.  Pull and try again.`);
    }
    if (input.message.headline.trim() === '') throw new TypedError('UNPROCESSABLE', 'A commit message headline is required.');
    const changes: TreeChange[] = [];
    for (const deletion of input.fileChanges?.deletions ?? []) changes.push({ path: deletion.path, mode: '100644', type: 'blob', oid: null });
    for (const addition of input.fileChanges?.additions ?? []) {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(addition.contents.replace(/\s/g, ''))) {
        throw new TypedError('UNPROCESSABLE', `Base64String value is not valid base64 for path '${addition.path}'.`);
      }
      changes.push({ path: addition.path, mode: '100644', type: 'blob', oid: await writeBlob(repo.gitDir, Buffer.from(addition.contents, 'base64')) });
    }
    const parent = await readCommit(repo.gitDir, head);
    let tree: string;
    try {
      tree = await writeTreeWithChanges(repo.gitDir, parent?.tree ?? null, changes, { strictDeletes: true });
    } catch (error) {
      if (error instanceof MissingPathError) throw new TypedError('UNPROCESSABLE', `A path was requested for deletion which does not exist as of commit oid \`${head}\``);
      throw error;
    }
    const now = isoNow();
    const message = input.message.body ? `${input.message.headline}\n\n${input.message.body}` : input.message.headline;
    // GitHub signs these commits itself: the committer is always GitHub's web-flow identity.
    const oid = await writeCommit(repo.gitDir, {
      tree,
      parents: [head],
      message: `${message}\n`,
      author: { name: grant.user.name, email: grant.user.email, date: now },
      committer: { name: 'GitHub', email: 'noreply@github.com', date: now },
    });
    if (!(await updateRef(repo.gitDir, ref, oid, head))) {
      throw new TypedError('STALE_DATA', `Expected branch to point to "${input.expectedHeadOid}" but it did not.  Pull and try again.`);
    }
    refsUpdated(ctx.sim, repo, [{ ref, before: head, after: oid }], grant.user);
    return { clientMutationId: input.clientMutationId ?? null, commit: commitNode(ctx.sim, repo, oid), ref: refNode(ctx.sim, repo, ref, oid) };
  });
}

/** graphql-js messages → GitHub's (graphql-ruby) wording for the errors clients actually meet. */
function githubValidationError(error: GraphQLError, document: ReturnType<typeof parse>): Record<string, unknown> {
  const locations = error.locations?.map((l) => ({ line: l.line, column: l.column }));
  const field = /^Cannot query field "(\w+)" on type "(\w+)"/.exec(error.message);
  if (field) {
    return { path: ['query'], extensions: { code: 'undefinedField', typeName: field[2], fieldName: field[1] }, locations, message: `Field '${field[1]}' doesn't exist on type '${field[2]}'` };
  }
  const argument = /^Unknown argument "(\w+)" on field "(\w+)\.(\w+)"/.exec(error.message);
  if (argument) {
    return { extensions: { code: 'argumentNotAccepted', name: argument[3], typeName: 'Field', argumentName: argument[1] }, locations, message: `Field '${argument[3]}' doesn't accept argument '${argument[1]}'` };
  }
  const variable = /^Variable "\$(\w+)"[\s\S]*?(?:Field "(\w+)" of required type "([^"]+)" was not provided|to include required field "(\w+)")/.exec(error.message);
  if (variable) {
    const name = variable[1] ?? '';
    const missing = variable[2] ?? variable[4] ?? '';
    const definition = document.definitions
      .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
      .flatMap((d) => d.variableDefinitions ?? [])
      .find((v) => v.variable.name.value === name);
    const typeName = definition ? printType(definition.type) : 'unknown';
    return {
      extensions: { problems: [{ path: [missing], explanation: 'Expected value to not be null' }] },
      locations,
      message: `Variable $${name} of type ${typeName} was provided invalid value for ${missing} (Expected value to not be null)`,
    };
  }
  return { locations, message: error.message };
}

function printType(node: unknown): string {
  const n = node as { kind: string; type?: unknown; name?: { value: string } };
  if (n.kind === Kind.NON_NULL_TYPE) return `${printType(n.type)}!`;
  if (n.kind === Kind.LIST_TYPE) return `[${printType(n.type)}]`;
  return n.name?.value ?? '';
}

let schemaCache: GraphQLSchema | null = null;

export function registerGraphql(app: FastifyInstance, sim: SimContext): void {
  schemaCache = schemaCache ?? buildSchema(SDL);
  const schema = schemaCache;

  app.post('/api/graphql', async (request, reply) => {
    const grant = callerOf(request).grant;
    if (!grant) {
      return sendError(reply, new GitHubError(401, 'This endpoint requires you to be authenticated.', 'https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql'));
    }
    const body = (request.body ?? {}) as { query?: unknown; variables?: unknown; operationName?: unknown };
    if (typeof body.query !== 'string' || body.query.trim() === '') {
      return { errors: [{ message: 'A query attribute must be specified and must be a string.' }] };
    }
    let document: ReturnType<typeof parse>;
    try {
      document = parse(body.query);
    } catch (error) {
      const e = error as GraphQLError;
      return { errors: [{ message: `Parse error on ${JSON.stringify(e.message)}`, locations: e.locations }] };
    }
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation = typeof body.operationName === 'string' ? operations.find((o) => o.name?.value === body.operationName) : operations[0];
    const isMutation = operation?.operation === 'mutation';
    try {
      applyRateLimits(sim, request, 'graphql', isMutation);
    } catch (error) {
      if (error instanceof GitHubError && error.status !== 401 && !String(error.body.message).includes('secondary')) {
        // Primary limit on GraphQL: errors[].type RATE_LIMITED, which clients look for.
        reply.header('x-ratelimit-remaining', '0');
        return { errors: [{ type: 'RATE_LIMITED', message: String(error.body.message) }] };
      }
      if (error instanceof GitHubError) return sendError(reply, error);
      throw error;
    }
    const validationErrors = validate(schema, document);
    if (validationErrors.length > 0) return { errors: validationErrors.map((e) => githubValidationError(e, document)) };
    const context: Ctx = { sim, grant, request };
    const rootValue = {
      repository: ({ owner, name }: { owner: string; name: string }) => {
        const repo = findRepo(sim.state, owner, name);
        if (!repo) throw new TypedError('NOT_FOUND', `Could not resolve to a Repository with the name '${owner}/${name}'.`);
        return repositoryNode(sim, repo);
      },
      viewer: () => ({ id: nodeId('04:User', grant.user.id), login: grant.user.login, name: grant.user.name, email: grant.user.email }),
      rateLimit: () => {
        const state = peekRateLimit(sim, request, 'graphql');
        return { cost: 1, limit: state.limit, nodeCount: 1, remaining: state.remaining, resetAt: new Date(state.reset * 1000).toISOString(), used: state.used };
      },
      createCommitOnBranch: ({ input }: { input: CommitInput }) => createCommitOnBranch(context, input),
    };
    const result = await execute({
      schema,
      document,
      rootValue,
      contextValue: context,
      variableValues: (body.variables ?? {}) as Record<string, unknown>,
      ...(typeof body.operationName === 'string' ? { operationName: body.operationName } : {}),
    });
    const response: Record<string, unknown> = { data: result.data ?? null };
    if (result.errors && result.errors.length > 0) {
      if (!result.data) delete response.data;
      response.errors = result.errors.map((e) => {
        const original = e.originalError;
        if (original instanceof TypedError) return { type: original.type, path: e.path, locations: e.locations, message: original.message };
        return githubValidationError(e, document);
      });
    }
    return response;
  });

  app.get('/api/graphql', async (_request, reply) => sendError(reply, new GitHubError(404, 'Not Found', 'https://docs.github.com/graphql')));
}

