import http from 'node:http';

/** Fetch helpers for the ServiceNow simulator tests: Table API calls with Accept/Content-Type and auth set the way a client must. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface CallInit {
  method?: string;
  auth?: string | null;
  body?: unknown;
  headers?: Record<string, string | null>;
}

export async function call(url: string, init: CallInit = {}): Promise<Answer> {
  const merged: Record<string, string | null> = { accept: 'application/json', ...(init.auth ? { authorization: init.auth } : {}) };
  let body: string | undefined;
  if (init.body !== undefined) {
    merged['content-type'] = 'application/json';
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  }
  Object.assign(merged, init.headers ?? {});
  const headers = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== null));
  const response = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export const basic = (user: string, secret: string): string => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

export const form = (params: Record<string, string>): { body: string; headers: Record<string, string> } => ({
  body: new URLSearchParams(params).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

/** `{"result": ...}` of an answer. */
export function result<T = Record<string, unknown>>(answer: Answer): T {
  return (answer.json as { result: T }).result;
}

/** A request with exactly the given headers (fetch always adds an Accept header of its own). */
export function rawRequest(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    request.end(body);
  });
}
