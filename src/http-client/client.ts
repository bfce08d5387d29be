/**
 * The one outbound HTTP client: every call to Jira, GitHub, ServiceNow or an OAuth server goes
 * through here, so SSRF checks, connection pinning, timeouts, retries with backoff, redirects,
 * logging, metrics and audit hooks are written once. It logs method, host, path and status, never
 * headers, query strings or bodies, because those carry tokens.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type Dispatcher, request as undiciRequest } from 'undici';
import {
  OUTBOUND_ABORTED,
  OUTBOUND_DNS_FAILED,
  OUTBOUND_INVALID_JSON,
  OUTBOUND_INVALID_REQUEST,
  OUTBOUND_NETWORK_ERROR,
  OUTBOUND_RESPONSE_TOO_LARGE,
  OUTBOUND_TIMEOUT,
  OUTBOUND_TOO_MANY_REDIRECTS,
  OUTBOUND_URL_REFUSED,
  OutboundError,
  refused,
} from './errors.ts';
import { checkCredentialHost } from './credential-binding.ts';
import { CONNECT_ERROR_CODES } from './connect-failure.ts';
import { createOutboundMetrics, type OutboundMetrics } from './metrics.ts';
import type { CheckedTarget, OutboundGuard } from './outbound-guard.ts';
import { createDispatcherPool } from './pinned-dispatchers.ts';
import { type BackoffOptions, DEFAULT_BACKOFF, DEFAULT_RETRY_ON, decideRetry, type FailureKind } from './retry-policy.ts';

export interface OutboundCallEvent {
  method: string;
  host: string;
  path: string;
  /** null when no response arrived (refused, network error, timeout). */
  status: number | null;
  durationMs: number;
  attempt: number;
  provider: string;
  connectionId?: string;
  orgId?: string;
  /** An OUTBOUND_* code, or the low-level cause, when the attempt failed without a response. */
  error?: string;
}

export interface OutboundClientOptions {
  logger: Logger;
  metrics?: { registry: Registry };
  /** Awaited after every attempt (e.g. to write an audit event); its failures are logged, never thrown. */
  onCall?: (event: OutboundCallEvent) => void | Promise<void>;
  guard: OutboundGuard;
  defaultTimeoutMs: number;
  /** Retries after the first attempt; a request's `retry.maxAttempts` overrides it. */
  maxRetries: number;
  backoff?: Partial<BackoffOptions>;
  maxRedirects?: number;
  maxResponseBytes?: number;
  userAgent?: string;
  /** PEM certificates to trust in addition to the public roots, e.g. an on-prem Jira's internal CA. */
  extraCaCerts?: readonly string[];
  /** Injectable so tests do not wait out backoff delays. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export interface OutboundRequest {
  method: string;
  url: string | URL;
  headers?: Record<string, string | undefined>;
  /** Strings and bytes are sent as they are; anything else is sent as JSON. */
  body?: string | Uint8Array | object | null;
  timeoutMs?: number;
  retry?: { maxAttempts?: number; retryOn?: readonly number[]; idempotent?: boolean };
  context?: { provider?: string; connectionId?: string; orgId?: string };
  /** Default true: redirects are followed (each hop re-checked by the guard). */
  followRedirects?: boolean;
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json<T = unknown>(): T;
  /** How many redirects were followed to get here. */
  redirects: number;
}

export interface OutboundClient {
  request(request: OutboundRequest): Promise<OutboundResponse>;
  close(): Promise<void>;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const CROSS_ORIGIN_STRIPPED_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function describeUrl(url: string | URL): { host: string; path: string } {
  try {
    const parsed = new URL(String(url));
    return { host: parsed.host, path: parsed.pathname };
  } catch {
    return { host: '', path: '' };
  }
}

function errorCode(error: unknown): string | undefined {
  const own = (error as { code?: unknown })?.code;
  if (typeof own === 'string') return own;
  // autoSelectFamily reports an AggregateError; its members carry the real codes.
  const members = (error as { errors?: unknown[] })?.errors;
  const first = Array.isArray(members) ? (members[0] as { code?: unknown } | undefined)?.code : undefined;
  if (typeof first === 'string') return first;
  const cause = (error as { cause?: { code?: unknown } })?.cause?.code;
  return typeof cause === 'string' ? cause : undefined;
}

function classifyFailure(error: unknown): FailureKind {
  const code = errorCode(error) ?? '';
  if (CONNECT_ERROR_CODES.has(code)) return 'connect';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') return 'tls';
  return 'network';
}

function normaliseHeaders(headers: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) out[name.toLowerCase()] = value;
  return out;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function encodeBody(
  body: OutboundRequest['body'],
  headers: Record<string, string>,
): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  headers['content-type'] ??= 'application/json';
  return JSON.stringify(body);
}

function toResponse(raw: RawResponse, redirects: number): OutboundResponse {
  return {
    ...raw,
    redirects,
    json<T>() {
      try {
        return JSON.parse(raw.body) as T;
      } catch {
        // The body may hold anything the server sent back, so it stays out of the message.
        throw new OutboundError(OUTBOUND_INVALID_JSON, `response (status ${raw.status}) is not valid JSON`);
      }
    },
  };
}

export function createOutboundClient(options: OutboundClientOptions): OutboundClient {
  const { logger, guard } = options;
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const maxRedirects = options.maxRedirects ?? 5;
  const maxResponseBytes = options.maxResponseBytes ?? 10 * 1024 * 1024;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const metrics: OutboundMetrics | undefined = options.metrics ? createOutboundMetrics(options.metrics.registry) : undefined;
  const dispatchers = createDispatcherPool({
    connectTimeoutMs: Math.min(options.defaultTimeoutMs, 10_000),
    ...(options.extraCaCerts ? { extraCaCerts: options.extraCaCerts } : {}),
  });

  async function record(event: OutboundCallEvent, metricStatus: string): Promise<void> {
    const line = {
      method: event.method,
      host: event.host,
      path: event.path,
      status: event.status,
      duration_ms: Math.round(event.durationMs),
      attempt: event.attempt,
      provider: event.provider,
      ...(event.connectionId ? { connection_id: event.connectionId } : {}),
      ...(event.orgId ? { org_id: event.orgId } : {}),
      ...(event.error ? { error: event.error } : {}),
    };
    if (event.error || (event.status ?? 0) >= 400) logger.warn(line, 'outbound call');
    else logger.info(line, 'outbound call');
    metrics?.observe({ provider: event.provider, method: event.method, status: metricStatus }, event.durationMs / 1000);
    if (options.onCall) {
      try {
        await options.onCall(event);
      } catch (error) {
        logger.warn({ err: error, provider: event.provider }, 'outbound onCall hook failed');
      }
    }
  }

  async function send(
    target: CheckedTarget,
    method: string,
    headers: Record<string, string>,
    body: string | Uint8Array | undefined,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<RawResponse> {
    const dispatcher: Dispatcher = dispatchers.forTarget(target);
    const response = await undiciRequest(target.url, {
      method: method as Dispatcher.HttpMethod,
      headers,
      body: body === undefined ? null : body,
      dispatcher,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > maxResponseBytes) {
        response.body.destroy();
        throw new OutboundError(
          OUTBOUND_RESPONSE_TOO_LARGE,
          `response from ${target.url.host} exceeds ${maxResponseBytes} bytes`,
        );
      }
      chunks.push(chunk as Buffer);
    }
    return {
      status: response.statusCode,
      headers: flattenHeaders(response.headers),
      body: Buffer.concat(chunks).toString('utf8'),
    };
  }

  async function request(req: OutboundRequest): Promise<OutboundResponse> {
    if (typeof req?.method !== 'string' || !/^[A-Za-z]+$/.test(req.method)) {
      throw new OutboundError(OUTBOUND_INVALID_REQUEST, 'method must be an HTTP method name');
    }
    let method = req.method.toUpperCase();
    let url = String(req.url);
    const headers = normaliseHeaders(req.headers);
    headers['user-agent'] ??= options.userAgent ?? 'integration-service';
    let body = encodeBody(req.body, headers);
    const provider = req.context?.provider ?? 'unknown';
    const maxAttempts = Math.max(1, req.retry?.maxAttempts ?? options.maxRetries + 1);
    const retryOn = req.retry?.retryOn ?? DEFAULT_RETRY_ON;
    const timeoutMs = req.timeoutMs ?? options.defaultTimeoutMs;
    const base = {
      provider,
      ...(req.context?.connectionId ? { connectionId: req.context.connectionId } : {}),
      ...(req.context?.orgId ? { orgId: req.context.orgId } : {}),
    };
    const retryInput = (attempt: number) => ({
      method,
      attempt,
      maxAttempts,
      retryOn,
      backoff,
      now: now(),
      random,
      ...(req.retry?.idempotent === undefined ? {} : { idempotent: req.retry.idempotent }),
    });

    let redirects = 0;
    let attempt = 0;
    for (;;) {
      attempt++;
      if (req.signal?.aborted) throw new OutboundError(OUTBOUND_ABORTED, 'request was cancelled', { attempts: attempt - 1 });
      const { host, path } = describeUrl(url);
      const started = performance.now();
      const event = (status: number | null, error?: string): OutboundCallEvent => ({
        method,
        host,
        path,
        status,
        durationMs: performance.now() - started,
        attempt,
        ...base,
        ...(error ? { error } : {}),
      });

      let target: CheckedTarget;
      try {
        target = await guard.resolve(url);
      } catch (error) {
        const code = error instanceof OutboundError ? error.code : OUTBOUND_NETWORK_ERROR;
        await record(event(null, code), code === OUTBOUND_DNS_FAILED ? 'error' : 'refused');
        if (code === OUTBOUND_DNS_FAILED) {
          const decision = decideRetry({ ...retryInput(attempt), failure: 'connect' });
          if (decision.retry) {
            await sleep(decision.delayMs);
            continue;
          }
        }
        throw error;
      }

      try {
        // A stored connection's secret goes to its own hosts only (credential-binding.ts).
        checkCredentialHost(headers, target.url);
      } catch (error) {
        await record(event(null, OUTBOUND_URL_REFUSED), 'refused');
        throw error;
      }

      const timeoutSignal = AbortSignal.timeout(timeoutMs);
      const signal = req.signal ? AbortSignal.any([timeoutSignal, req.signal]) : timeoutSignal;
      let raw: RawResponse;
      try {
        raw = await send(target, method, headers, body, signal, timeoutMs);
      } catch (error) {
        if (error instanceof OutboundError) {
          await record(event(null, error.code), 'error');
          throw error;
        }
        if (req.signal?.aborted) {
          await record(event(null, OUTBOUND_ABORTED), 'aborted');
          throw new OutboundError(OUTBOUND_ABORTED, 'request was cancelled', { attempts: attempt });
        }
        const kind = timeoutSignal.aborted ? 'timeout' : classifyFailure(error);
        const causeCode = errorCode(error);
        await record(event(null, kind === 'timeout' ? OUTBOUND_TIMEOUT : (causeCode ?? OUTBOUND_NETWORK_ERROR)), kind);
        const decision = decideRetry({ ...retryInput(attempt), failure: kind });
        if (decision.retry) {
          await sleep(decision.delayMs);
          continue;
        }
        if (kind === 'timeout') {
          throw new OutboundError(OUTBOUND_TIMEOUT, `request to ${host} timed out after ${timeoutMs} ms`, {
            attempts: attempt,
          });
        }
        throw new OutboundError(OUTBOUND_NETWORK_ERROR, `request to ${host} failed${causeCode ? ` (${causeCode})` : ''}`, {
          attempts: attempt,
          ...(causeCode ? { causeCode } : {}),
        });
      }
      await record(event(raw.status), String(raw.status));

      const location = raw.headers.location;
      if (REDIRECT_STATUSES.has(raw.status) && location !== undefined && req.followRedirects !== false) {
        if (++redirects > maxRedirects) {
          throw new OutboundError(OUTBOUND_TOO_MANY_REDIRECTS, `more than ${maxRedirects} redirects from ${host}`);
        }
        let next: URL;
        try {
          next = new URL(location, target.url);
        } catch {
          throw refused('redirect location is not a valid URL');
        }
        // Credentials were meant for the origin they were given to, not wherever it redirects.
        if (next.origin !== target.url.origin) for (const name of CROSS_ORIGIN_STRIPPED_HEADERS) delete headers[name];
        if (raw.status === 303 ? method !== 'HEAD' : (raw.status === 301 || raw.status === 302) && method === 'POST') {
          method = 'GET';
          body = undefined;
          delete headers['content-type'];
          delete headers['content-length'];
        }
        url = next.toString();
        attempt = 0; // a new hop gets its own retry budget
        continue;
      }

      const decision = decideRetry({ ...retryInput(attempt), status: raw.status, headers: raw.headers });
      if (decision.retry) {
        await sleep(decision.delayMs);
        continue;
      }
      return toResponse(raw, redirects);
    }
  }

  return { request, close: () => dispatchers.close() };
}
