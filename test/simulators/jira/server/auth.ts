/**
 * Jira Server/DC authentication: personal access tokens as `Authorization: Bearer <PAT>` (never as a
 * Basic password) and, unless disabled as on DC 11, Basic `username:password`. Failures get the HTML
 * "Unauthorized (401)" page with `X-Seraph-LoginReason: AUTHENTICATED_FAILED`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SeedUser } from '../shared/seed.ts';
import type { JiraStore } from '../shared/store.ts';

export type ServerAuthOutcome = { ok: true; user: SeedUser } | { ok: false; send: (reply: FastifyReply) => FastifyReply };

const unauthorized = (reply: FastifyReply): FastifyReply =>
  reply
    .code(401)
    .header('x-seraph-loginreason', 'AUTHENTICATED_FAILED')
    .type('text/html;charset=UTF-8')
    .send('<!DOCTYPE html><html><head><title>Unauthorized (401)</title></head><body><h1>Unauthorized (401)</h1><p>Encountered a "401 - Unauthorized" error while loading this page.</p></body></html>');

export function authenticateServer(store: JiraStore, request: FastifyRequest, basicEnabled: boolean): ServerAuthOutcome {
  const header = request.headers.authorization ?? '';
  const [scheme = '', credential = ''] = header.split(/\s+/, 2);
  if (scheme.toLowerCase() === 'bearer') {
    const user = store.users.find((u) => u.pat === credential);
    return user ? { ok: true, user } : { ok: false, send: unauthorized };
  }
  if (scheme.toLowerCase() === 'basic' && basicEnabled) {
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = store.users.find((u) => u.name === decoded.slice(0, colon));
    // A PAT is not a password on Server/DC.
    if (user && colon >= 0 && decoded.slice(colon + 1) === user.password) return { ok: true, user };
  }
  return { ok: false, send: unauthorized };
}
