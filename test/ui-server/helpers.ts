/** A test service listening on 127.0.0.1 (real HTTP), with local accounts and a cookie-keeping client. */
import type { AddressInfo } from 'node:net';
import { UserService } from '../../src/services/users.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';

export interface HttpService extends TestService {
  base: string;
  users: UserService;
}

export async function startHttpService(env: Record<string, string> = {}): Promise<HttpService> {
  // TRUST_PROXY=127.0.0.1: tests stand in for a proxy (X-Forwarded-For/-Proto) from loopback.
  const service = await startTestService('embedded', { TRUST_PROXY: '127.0.0.1', LOG_LEVEL: 'info', ...env });
  await service.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = service.app.server.address() as AddressInfo;
  return { ...service, base: `http://127.0.0.1:${port}`, users: new UserService(service.context.db.orm, service.context.tenants) };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** A browser-like client: keeps the session cookie it is given, sends it back. */
export class Browser {
  cookie: string | null = null;
  csrf: string | null = null;
  readonly base: string;
  readonly forwardedFor: string | undefined;

  constructor(base: string, forwardedFor?: string) {
    this.base = base;
    this.forwardedFor = forwardedFor;
  }

  async request(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; csrf?: boolean } = {}): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (this.forwardedFor) headers['x-forwarded-for'] = this.forwardedFor;
    if (options.csrf && this.csrf) headers['x-csrf-token'] = this.csrf;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) {
      const pair = setCookie.split(';')[0] ?? '';
      this.cookie = /Max-Age=0/.test(setCookie) ? null : pair;
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    return { status: response.status, headers: response.headers, body, text };
  }

  async signIn(username: string, password: string): Promise<Answer> {
    const answer = await this.request('POST', '/api/v1/session', { body: { username, password } });
    if (answer.status === 200) this.csrf = (answer.body as { csrf_token: string }).csrf_token;
    return answer;
  }
}

export const PASSWORD = 'correct horse battery staple';
