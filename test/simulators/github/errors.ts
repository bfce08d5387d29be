/**
 * GitHub's REST error bodies, exactly as PROVIDER-FACTS §4 records them: `{message, documentation_url,
 * status:"<code>"}`, and for 422 `{message:"Validation Failed", errors:[{resource, code, field?,
 * message?}]}`. Handlers throw `GitHubError`; one error handler renders it, so every route answers in
 * the same shape as the real API and a client parsing errors is exercised against the real format.
 */
import type { FastifyReply } from 'fastify';

export const DOCS = 'https://docs.github.com/rest';

export interface ValidationErrorItem {
  resource: string;
  code: string;
  field?: string;
  message?: string;
  value?: unknown;
}

export class GitHubError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, documentationUrl: string = DOCS, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.body = { message, documentation_url: documentationUrl, ...extra, status: String(status) };
    this.headers = headers;
  }
}

export function notFound(): GitHubError {
  return new GitHubError(404, 'Not Found', DOCS);
}

export function badCredentials(): GitHubError {
  return new GitHubError(401, 'Bad credentials', DOCS);
}

export function requiresAuthentication(doc = DOCS): GitHubError {
  return new GitHubError(401, 'Requires authentication', doc);
}

/** Fine-grained/read-only PAT writing: 403 (the repository is visible, so no 404 here). */
export function notAccessibleByPat(doc: string, permission: string): GitHubError {
  return new GitHubError(403, 'Resource not accessible by personal access token', doc, {}, { 'x-accepted-github-permissions': permission });
}

export function validationFailed(doc: string, errors: ValidationErrorItem[]): GitHubError {
  return new GitHubError(422, 'Validation Failed', doc, { errors });
}

/** Schema-level failures use a different 422 text than model validation ("Invalid request."). */
export function invalidRequest(doc: string, detail: string): GitHubError {
  return new GitHubError(422, `Invalid request.\n\n${detail}`, doc);
}

export function sendError(reply: FastifyReply, error: GitHubError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.body);
}

/** Helpers for request bodies: GitHub's JSON-schema messages for a missing or mistyped property. */
export function bodyObject(body: unknown, doc: string): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw invalidRequest(doc, `For 'links/0/schema', ${JSON.stringify(body)} is not an object.`);
  }
  return body as Record<string, unknown>;
}

export function requiredString(body: Record<string, unknown>, key: string, doc: string): string {
  const value = body[key];
  if (value === undefined || value === null) throw invalidRequest(doc, `"${key}" wasn't supplied.`);
  if (typeof value !== 'string') throw invalidRequest(doc, `For 'properties/${key}', ${JSON.stringify(value)} is not a string.`);
  return value;
}

export function optionalString(body: Record<string, unknown>, key: string, doc: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidRequest(doc, `For 'properties/${key}', ${JSON.stringify(value)} is not a string.`);
  return value;
}

export function optionalBoolean(body: Record<string, unknown>, key: string, doc: string): boolean | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidRequest(doc, `For 'properties/${key}', ${JSON.stringify(value)} is not a boolean.`);
  return value;
}
