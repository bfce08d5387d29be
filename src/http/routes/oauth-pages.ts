/**
 * What the OAuth callbacks (Atlassian, ServiceNow) share: their query, the small HTML page a browser lands on, and
 * the caller of a public callback when it came with a token (it must then be the user who started).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AuthenticationError } from '../../auth/jwt-verifier.ts';
import type { AppContext } from '../../context.ts';
import { identifier, safeLine, secret } from '../../contracts/index.ts';
import { AppError } from '../../errors/app-error.ts';

/** The query an authorization server sends the browser back with (`format` is ours: json or html). */
export const callbackQuery = z.object({
  code: secret(4096).optional(),
  state: secret(512).optional(),
  error: identifier(200).optional(),
  error_description: safeLine(2000).optional(),
  format: z.enum(['json', 'html']).optional(),
});

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><meta name="viewport" content="width=device-width, initial-scale=1"></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5"><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** The caller of a public callback, when it sent a token (it must then be the user who started). */
export async function optionalCaller(context: AppContext, request: FastifyRequest): Promise<{ orgId: string; subject: string } | null> {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  if (!match?.[1]) throw new AppError('UNAUTHENTICATED', 'authorization header must be "Bearer <token>"');
  try {
    const principal = await context.verifyJwt(match[1]);
    const tenant = await context.tenants.resolve(principal.orgSlug, principal.subject);
    return { orgId: tenant.orgId, subject: principal.subject };
  } catch (error) {
    if (error instanceof AuthenticationError) throw new AppError('UNAUTHENTICATED', error.message);
    throw error;
  }
}
