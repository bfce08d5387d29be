/**
 * Git smart HTTP (clone, fetch, push) at `/{owner}/{repo}.git/...`, served by the real
 * `git http-backend` run as a CGI over the same bare repositories the REST API reads. Bodies are
 * streamed raw in both directions (they can be large, and gzip-encoded from the client).
 * Authentication and the answers for missing or insufficient credentials follow GitHub
 * (PROVIDER-FACTS §4.5): 401 + `WWW-Authenticate: Basic realm="GitHub"` for no or wrong credentials,
 * 403 "Permission to owner/repo.git denied to user." for a token that may not push.
 */
import { spawn } from 'node:child_process';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate } from './auth.ts';
import type { SimContext } from './context.ts';
import { isolatedGitEnv, refSnapshot, ZERO_OID } from './git-plumbing.ts';
import { type RefUpdate, refsUpdated } from './pull-service.ts';
import { findRepo, grantCovers, type RepoRecord, type SimUser } from './state.ts';

type Service = 'git-upload-pack' | 'git-receive-pack';

function textAnswer(reply: FastifyReply, status: number, text: string, challenge: boolean): FastifyReply {
  if (challenge) reply.header('www-authenticate', 'Basic realm="GitHub"');
  return reply.code(status).type('text/plain; charset=utf-8').send(text);
}

/** Runs http-backend, copies its CGI headers and streams its body; resolves when the answer ended. */
function runHttpBackend(ctx: SimContext, request: FastifyRequest, reply: FastifyReply, repo: RepoRecord, tail: string, user: SimUser | null, afterExit: () => Promise<void>): Promise<void> {
  const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
  const env: Record<string, string> = {
    GIT_PROJECT_ROOT: ctx.reposDir,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: `/${repo.owner}/${repo.name}.git/${tail}`,
    QUERY_STRING: query,
    REQUEST_METHOD: request.method,
    CONTENT_TYPE: request.headers['content-type'] ?? '',
    REMOTE_ADDR: request.ip,
  };
  if (user) env.REMOTE_USER = user.login;
  const protocol = request.headers['git-protocol'];
  // Without GIT_PROTOCOL the backend falls back to v0 and blobless clones cannot fetch blobs later.
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;
  const encoding = request.headers['content-encoding'];
  if (typeof encoding === 'string') env.HTTP_CONTENT_ENCODING = encoding;
  const length = request.headers['content-length'];
  if (typeof length === 'string') env.CONTENT_LENGTH = length;

  reply.hijack();
  const raw = reply.raw;
  return new Promise((resolve) => {
    const child = spawn('git', ['http-backend'], { env: isolatedGitEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let headerBuffer: Buffer = Buffer.alloc(0);
    let headersSent = false;
    const stderr: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        raw.write(chunk);
        return;
      }
      headerBuffer = Buffer.concat([headerBuffer, chunk]);
      const text = headerBuffer.toString('latin1');
      const end = text.search(/\r?\n\r?\n/);
      if (end < 0) return;
      const separator = /\r?\n\r?\n/.exec(text.slice(end))?.[0] ?? '\n\n';
      let status = 200;
      const headers: Record<string, string> = { 'x-github-request-id': String(request.id) };
      for (const line of text.slice(0, end).split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
        else headers[name] = value;
      }
      raw.writeHead(status, headers);
      headersSent = true;
      const rest = headerBuffer.subarray(Buffer.byteLength(text.slice(0, end + separator.length), 'latin1'));
      if (rest.length > 0) raw.write(rest);
    });
    child.on('error', (error) => {
      if (!headersSent) raw.writeHead(500, { 'content-type': 'text/plain' });
      raw.end(`git http-backend failed: ${error.message}\n`);
      resolve();
    });
    child.on('close', (code) => {
      void (async () => {
        if (!headersSent) {
          raw.writeHead(500, { 'content-type': 'text/plain' });
          raw.write(`git http-backend exited ${code}: ${Buffer.concat(stderr).toString('utf8')}`);
        }
        // Ref changes are applied to PR state before the client sees its push finish.
        await afterExit().catch(() => undefined);
        raw.end();
        resolve();
      })();
    });
    child.stdin.on('error', () => {});
    request.raw.pipe(child.stdin);
  });
}

export function registerGitBackend(app: FastifyInstance, ctx: SimContext): void {
  app.register(async (scope) => {
    // Leave pack bodies as untouched streams for the CGI (no JSON parsing, no size limit).
    scope.addContentTypeParser(['application/x-git-upload-pack-request', 'application/x-git-receive-pack-request'], (_request, payload, done) => done(null, payload));

    const handle = async (request: FastifyRequest<{ Params: { owner: string; repo: string } }>, reply: FastifyReply, tail: string, service: Service | null) => {
      const name = request.params.repo.replace(/\.git$/, '');
      const repo = findRepo(ctx.state, request.params.owner, name);
      if (!service) return textAnswer(reply, 403, 'Please upgrade your git client.\nGitHub.com no longer supports git over dumb-http: https://github.com/blog/809-git-dumb-http-transport-to-be-decommissioned\n', false);
      const auth = authenticate(ctx.state, request.headers.authorization);
      // An app JWT is no git credential; an expired installation token is as invalid as an unknown one.
      if (auth.kind === 'invalid' || auth.kind === 'jwt') {
        return textAnswer(reply, 401, 'Invalid username or token. Password authentication is not supported for Git operations.\n', true);
      }
      const user = auth.kind === 'ok' ? auth.grant.user : null;
      // No anonymous push anywhere, no anonymous read of private (or unknown) repositories: git then
      // retries with credentials, exactly as it does against GitHub.
      if (!user && (service === 'git-receive-pack' || !repo || repo.private)) return textAnswer(reply, 401, '', true);
      if (!repo || (auth.kind === 'ok' && !grantCovers(auth.grant, repo))) return textAnswer(reply, 404, 'Repository not found.\n', false);
      if (service === 'git-receive-pack' && auth.kind === 'ok' && !auth.grant.write) {
        return textAnswer(reply, 403, `Permission to ${repo.fullName}.git denied to ${auth.grant.user.login}.\n`, false);
      }
      if (service === 'git-receive-pack' && request.method === 'POST' && user) {
        const before = await refSnapshot(repo.gitDir);
        await runHttpBackend(ctx, request, reply, repo, tail, user, async () => {
          const after = await refSnapshot(repo.gitDir);
          const updates: RefUpdate[] = [];
          for (const ref of new Set([...before.keys(), ...after.keys()])) {
            const old = before.get(ref) ?? ZERO_OID;
            const now = after.get(ref) ?? ZERO_OID;
            if (old !== now) updates.push({ ref, before: old, after: now });
          }
          refsUpdated(ctx, repo, updates, user);
        });
        return;
      }
      await runHttpBackend(ctx, request, reply, repo, tail, user, async () => {});
    };

    scope.get<{ Params: { owner: string; repo: string }; Querystring: { service?: string } }>('/:owner/:repo/info/refs', (request, reply) => {
      const service = request.query.service;
      return handle(request, reply, 'info/refs', service === 'git-upload-pack' || service === 'git-receive-pack' ? service : null);
    });
    scope.post<{ Params: { owner: string; repo: string } }>('/:owner/:repo/git-upload-pack', (request, reply) => handle(request, reply, 'git-upload-pack', 'git-upload-pack'));
    scope.post<{ Params: { owner: string; repo: string } }>('/:owner/:repo/git-receive-pack', (request, reply) => handle(request, reply, 'git-receive-pack', 'git-receive-pack'));
  });
}
