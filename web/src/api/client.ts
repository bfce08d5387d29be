/**
 * The one way the UI talks to the service: same-origin fetch with the session cookie, the CSRF
 * header on every state-changing call, JSON in and out, and the API's error body turned into an
 * ApiError (code, message, field) that pages show as is.
 */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  constructor(status: number, code: string, message: string, field: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

/** Set from the session answer (sign-in or GET /api/v1/session); cleared at sign-out. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when an API call answers 401 (the session expired): the app goes back to sign-in. */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function requestHeaders(method: string, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json', ...extra };
  if (unsafe.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  return headers;
}

export async function errorFrom(response: Response): Promise<ApiError> {
  let code = `HTTP_${response.status}`;
  let message = response.statusText || `request failed (${response.status})`;
  let field: string | null = null;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string; field?: string } } | null;
    if (body?.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      field = body.error.field ?? null;
    }
  } catch {
    // Not JSON (a proxy's page): keep the status text.
  }
  return new ApiError(response.status, code, message, field);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined>;
  signal?: AbortSignal;
  /** Leave the 401 to the caller (the session probe itself). */
  quiet401?: boolean;
}

export function withQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: requestHeaders(method, options.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  if (options.body !== undefined) init.body = JSON.stringify(options.body);
  const response = await fetch(withQuery(path, options.query), init);
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && !options.quiet401) onUnauthenticated?.();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  return (type.includes('json') ? await response.json() : await response.text()) as T;
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * Uploads a file body (not JSON-encoded) with progress events: fetch has no upload progress, so
 * this one call uses XMLHttpRequest.
 */
export function upload<T>(path: string, file: Blob, onProgress: (progress: UploadProgress) => void, query?: RequestOptions['query']): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', withQuery(path, query));
    xhr.withCredentials = true;
    for (const [name, value] of Object.entries(requestHeaders('POST', { 'content-type': file.type || 'application/octet-stream' }))) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : file.size });
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'the upload did not reach the service'));
    xhr.onload = () => {
      const response = new Response(xhr.responseText, { status: xhr.status, headers: { 'content-type': xhr.getResponseHeader('content-type') ?? '' } });
      if (xhr.status >= 200 && xhr.status < 300) {
        response.json().then((value) => resolve(value as T), () => resolve(undefined as T));
      } else {
        if (xhr.status === 401) onUnauthenticated?.();
        errorFrom(response).then(reject, reject);
      }
    };
    xhr.send(file);
  });
}
