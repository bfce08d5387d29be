/**
 * Octokit's `request.fetch`, answered by the project's one outbound client, so GitHub calls get the
 * SSRF guard, connection pinning, logs, metrics and audit like every other provider. The outbound
 * client makes exactly one attempt here: Octokit's retry and throttling plugins are the only retry
 * layer for GitHub (see octokit.ts), so attempts are never multiplied by two layers.
 */
import type { OutboundClient } from '../../http-client/index.ts';

export interface FetchContext {
  provider: 'github';
  connectionId?: string;
  orgId?: string;
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of new Headers(headers)) out[name] = value;
  return out;
}

function requestBody(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  // Octokit only sends JSON text or bytes; streams and forms would need buffering we do not need.
  throw new TypeError('unsupported request body type for the GitHub client');
}

function responseHeaders(headers: Record<string, string>): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    try {
      out.append(name, value);
    } catch {
      // A header the WHATWG Headers class cannot hold (non-Latin-1) is not one Octokit reads.
    }
  }
  return out;
}

export function createOutboundFetch(http: OutboundClient, context: FetchContext, timeoutMs: number): typeof fetch {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = requestBody(init?.body);
    const answer = await http.request({
      method,
      url,
      headers: headerRecord(init?.headers),
      ...(body === undefined ? {} : { body }),
      timeoutMs,
      retry: { maxAttempts: 1 },
      context,
      ...(init?.signal ? { signal: init.signal } : {}),
    });
    if (answer.status < 200 || answer.status > 599) throw new TypeError(`unexpected HTTP status ${answer.status} from GitHub`);
    const nullBody = NULL_BODY_STATUSES.has(answer.status) || method === 'HEAD';
    return new Response(nullBody ? null : answer.body, { status: answer.status, headers: responseHeaders(answer.headers) });
  };
}
