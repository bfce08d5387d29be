/**
 * Serves the web UI (web/, built into web/dist by `npm run build:web`; WEB_UI_DIR elsewhere) from the
 * same origin as the API, so the UI talks to the public API with the session cookie and nothing else.
 * Files go out through @fastify/static (`reply.sendFile`: path checks, ETag, ranges).
 *
 * - `GET /` answers the UI's page to browsers (Accept names text/html); other callers (curl, API
 *   clients) keep the JSON service description of the system routes.
 * - A file of the build (`/assets/<hash>.js`, `/favicon.svg`) is sent when no API route has its path;
 *   hashed files under assets/ are cached for a year.
 * - Any other unknown GET that accepts text/html gets the page, so a reload or a shared link of a
 *   client route (/settings/integrations, /findings/…) opens the right screen. Never under the API's
 *   own paths (/api, /internal, /docs, /openapi.json, /health, /ready, /metrics, /oauth), which keep
 *   their JSON 404.
 *
 * No route is registered (one onRequest hook, on `/` and on requests no route matched), so the
 * route table, the OpenAPI document and the API's 404/405 answers are the same whether or not the UI
 * is built. The page holds no data (every call it makes is authenticated). Without a build, `/`
 * keeps its JSON for everyone and a hint is logged at start.
 */
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';

const apiPaths = ['/api', '/internal', '/docs', '/openapi.json', '/health', '/ready', '/metrics', '/oauth'];

function isApiPath(pathname: string): boolean {
  return apiPaths.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
}

function wantsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/i.test(request.headers.accept ?? '');
}

// Mantine writes its CSS variables in a <style> element and components set style attributes, hence
// 'unsafe-inline' for styles only; scripts come from our own origin and nothing else.
const pageHeaders = {
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

/** The build's file for a URL path (relative to the build folder), or null: none, a dot segment, or outside it. */
function buildFile(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((segment) => segment !== '');
  if (segments.length === 0 || segments.some((segment) => segment.startsWith('.'))) return null;
  const relative = segments.join('/');
  const absolute = path.join(root, relative);
  if (!absolute.startsWith(root + path.sep)) return null;
  try {
    return fs.statSync(absolute).isFile() ? relative : null;
  } catch {
    return null;
  }
}

function sendPage(reply: FastifyReply): FastifyReply {
  return reply.headers(pageHeaders).sendFile('index.html', { cacheControl: false });
}

export async function installWebUi(app: FastifyInstance, context: AppContext): Promise<void> {
  const root = path.resolve(context.config.webUiDir);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    context.logger.info({ dir: root }, 'the web UI is not built (no index.html): GET / answers the service JSON; run `npm run build:web` and restart to serve it');
    return;
  }
  // serve: false registers no route; it only gives replies sendFile.
  await app.register(fastifyStatic, { root, serve: false, index: false, dotfiles: 'deny' });
  // Synchronous (no promise per request): every request that is not `/` or unmatched leaves with
  // done() at once; the ones answered here are sent without calling done(), which ends the chain.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return done();
    // `/` (with or without a query) or a request no route matched; everything else leaves at once.
    const url = request.url;
    if (url.length === 1 || url.charCodeAt(1) === 63 /* ? */) {
      if (wantsHtml(request)) sendPage(reply);
      else done();
      return;
    }
    if (!request.is404) return done();
    const pathname = url.split('?')[0] ?? '/';
    if (isApiPath(pathname)) return done();
    const file = buildFile(root, pathname);
    if (file === 'index.html') {
      sendPage(reply);
      return;
    }
    if (file) {
      // Vite names the files under assets/ by content hash: they never change.
      reply.header('cache-control', file.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache').header('x-content-type-options', 'nosniff');
      reply.sendFile(file, { cacheControl: false });
      return;
    }
    if (wantsHtml(request)) sendPage(reply);
    else done();
  });
}
