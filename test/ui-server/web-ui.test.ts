/**
 * The built single-page app served at / through real HTTP: the page for browsers, the JSON for curl
 * and API clients, build files, the fallback for client routes, and never for the API's own paths.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpService, startHttpService } from './helpers.ts';

const PAGE = '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head><body><div id="root"></div></body></html>';
const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

async function get(base: string, pathname: string, accept?: string) {
  const response = await fetch(`${base}${pathname}`, { headers: accept === undefined ? {} : { accept } });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('web UI at /', () => {
  let service: HttpService;
  let dist: string;
  beforeAll(async () => {
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'web-dist-'));
    fs.mkdirSync(path.join(dist, 'assets'));
    fs.writeFileSync(path.join(dist, 'index.html'), PAGE);
    fs.writeFileSync(path.join(dist, 'assets', 'app-abc123.js'), 'console.log("app");\n');
    fs.writeFileSync(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    fs.writeFileSync(path.join(dist, '.env'), 'SECRET=1');
    service = await startHttpService({ WEB_UI_DIR: dist });
  });
  afterAll(async () => {
    await service?.close();
    fs.rmSync(dist, { recursive: true, force: true });
  });

  it('answers a browser at / with the page, and curl and API clients with the service JSON', async () => {
    const page = await get(service.base, '/', browserAccept);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toBe(PAGE);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('cache-control')).toBe('no-cache');

    for (const accept of [undefined, '*/*', 'application/json']) {
      const json = await get(service.base, '/', accept);
      expect(json.status, String(accept)).toBe(200);
      expect(JSON.parse(json.text)).toMatchObject({ name: 'integration-service' });
    }
  });

  it('answers client routes a browser reloads with the page', async () => {
    for (const route of ['/settings/integrations', '/findings/123', '/sign-in?next=%2Fanalytics']) {
      const page = await get(service.base, route, browserAccept);
      expect(page.status, route).toBe(200);
      expect(page.text).toBe(PAGE);
    }
    // A non-browser asking for an unknown path still gets the API's JSON 404.
    const json = await get(service.base, '/settings/integrations', 'application/json');
    expect(json.status).toBe(404);
    expect(JSON.parse(json.text)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('never answers the page under the API’s own paths', async () => {
    for (const route of ['/api/v1/nope', '/api/jira/nope', '/internal/nope', '/docs/nope', '/health/x', '/metrics/x', '/oauth/nope']) {
      const answer = await get(service.base, route, browserAccept);
      expect(answer.status, route).toBe(404);
      expect(JSON.parse(answer.text), route).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
    // Existing API routes answer as before, browser or not.
    const health = await get(service.base, '/health', browserAccept);
    expect(JSON.parse(health.text)).toMatchObject({ status: 'ok' });
    expect((await get(service.base, '/api/v1/findings', browserAccept)).status).toBe(401);
  });

  it('sends build files, hashed assets cached for a year, and nothing outside the build or hidden', async () => {
    const asset = await get(service.base, '/assets/app-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.text).toBe('console.log("app");\n');
    const icon = await get(service.base, '/favicon.svg');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('no-cache');

    expect((await get(service.base, '/assets/missing.js')).status).toBe(404);
    expect((await get(service.base, '/.env')).status).toBe(404);
    for (const escape of ['/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fpackage.json', '/..%5c..%5cpackage.json']) {
      const answer = await get(service.base, escape);
      expect(answer.status, escape).toBe(404);
      expect(answer.text).not.toContain('root:');
      expect(answer.text).not.toContain('"name"');
    }
  });

  it('leaves other methods alone', async () => {
    const answer = await fetch(`${service.base}/settings`, { method: 'POST', headers: { accept: browserAccept } });
    expect(answer.status).toBe(404);
  });
});

describe('web UI not built', () => {
  let service: HttpService;
  afterAll(async () => {
    await service?.close();
  });

  it('keeps the JSON at / for browsers too and logs how to build it', async () => {
    service = await startHttpService({ WEB_UI_DIR: path.join(os.tmpdir(), `no-such-web-dist-${process.pid}`) });
    const answer = await get(service.base, '/', browserAccept);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ name: 'integration-service' });
    expect(service.logs.join('')).toContain('the web UI is not built');
    expect((await get(service.base, '/settings', browserAccept)).status).toBe(404);
  });
});
