/**
 * One ServiceNow call, start to finish: the URL under the instance (`/api/now/table/...`), the auth
 * header asked from the credential source at each call (and once more after a 401 the source can
 * cure), `Accept`/`Content-Type: application/json` (the Table API refuses calls without them), the
 * per-connection limiter, the outbound client (which retries 5xx/timeouts of idempotent calls only),
 * and our own 429 loop, because every 429 must first set the shared pause all processes obey.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { type OutboundClient, type OutboundResponse, sendThrough429 } from '../../http-client/index.ts';
import type { SharedState } from '../../shared-state/index.ts';
import { authorizationOf, type Credential, sendRenewingOn401 } from '../credentials/index.ts';
import { type AuthContext, type CallSubject, errorFromOutbound, errorFromResponse, isHibernationPage, PROVIDER, ServiceNowError } from './errors.ts';
import { createServiceNowLimiter, type ServiceNowLimiter, type ServiceNowLimiterRegistry } from './limiter.ts';
import type { ServiceNowLimits, ServiceNowTarget } from './types.ts';

export const DEFAULT_LIMITS: ServiceNowLimits = {
  maxConcurrent: 4,
  maxRateLimitWaitMs: 60_000,
  timeoutMs: 30_000,
  maxAttempts: 3,
};

export interface ServiceNowCall {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path below the instance, e.g. `/api/now/table/incident`; or a full URL (a Link header's next page) on the instance. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  subject: CallSubject;
  /** Statuses that are answers, not errors. */
  accept?: number[];
  /** Safe to resend (a PATCH of plain fields): lets the outbound client retry it on 5xx/timeouts. */
  idempotent?: boolean;
}

export interface ServiceNowTransport {
  readonly target: ServiceNowTarget;
  readonly instanceUrl: string;
  readonly connectionKey: string;
  readonly limiter: ServiceNowLimiter;
  readonly logger: Logger;
  call(call: ServiceNowCall): Promise<OutboundResponse>;
  json<T>(call: ServiceNowCall): Promise<{ body: T; response: OutboundResponse }>;
}

/** Who shares one budget at ServiceNow: the connection, else instance + credential identity (hashed). */
export function connectionKeyOf(target: ServiceNowTarget): string {
  if (target.connectionId) return `conn:${target.connectionId}`;
  return `inst:${createHash('sha256').update(`${target.instanceUrl}\n${target.credentials.key}`).digest('hex').slice(0, 24)}`;
}

export function tablePath(table: string, sysId?: string): string {
  return `/api/now/table/${encodeURIComponent(table)}${sysId === undefined ? '' : `/${encodeURIComponent(sysId)}`}`;
}

export function createServiceNowTransport(
  target: ServiceNowTarget,
  deps: { http: OutboundClient; sharedState: SharedState; logger: Logger; limiters: ServiceNowLimiterRegistry; limits: ServiceNowLimits },
): ServiceNowTransport {
  const instanceUrl = target.instanceUrl.replace(/\/+$/, '');
  const origin = new URL(instanceUrl).origin;
  const host = new URL(instanceUrl).host;
  const context: AuthContext = { auth: target.credentials.kind === 'oauth2' ? 'bearer' : 'basic', host };
  const connectionKey = connectionKeyOf(target);
  const limits = deps.limits;
  const limiter = createServiceNowLimiter({
    key: connectionKey,
    sharedState: deps.sharedState,
    registry: deps.limiters,
    maxConcurrent: limits.maxConcurrent,
    maxPauseMs: limits.maxRateLimitWaitMs,
  });

  function urlOf(call: ServiceNowCall): string {
    const url = /^https?:\/\//i.test(call.path) ? new URL(call.path) : new URL(`${instanceUrl}${call.path}`);
    // A Link header's URL must stay on the instance: the credential goes nowhere else.
    if (url.origin !== origin) throw new ServiceNowError('PROVIDER_BAD_RESPONSE', `ServiceNow pointed a page link at another host (${url.host}); not followed`);
    for (const [name, value] of Object.entries(call.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    return url.toString();
  }

  async function send(call: ServiceNowCall, credential: Credential): Promise<OutboundResponse> {
    const headers: Record<string, string> = { authorization: authorizationOf(credential), accept: 'application/json' };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const idempotent = call.idempotent ?? (call.method === 'GET' || call.method === 'DELETE');
    try {
      return await deps.http.request({
        method: call.method,
        url: urlOf(call),
        headers,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        timeoutMs: limits.timeoutMs,
        // 429 is ours (see the header comment); 5xx and timeouts are the outbound client's, idempotent calls only.
        retry: { maxAttempts: limits.maxAttempts, retryOn: [500, 502, 503, 504], idempotent },
        context: {
          provider: PROVIDER,
          ...(target.connectionId ? { connectionId: target.connectionId } : {}),
          ...(target.orgId ? { orgId: target.orgId } : {}),
        },
      });
    } catch (error) {
      throw errorFromOutbound(error, call.subject, host);
    }
  }

  /** The credential of the moment; after a 401, once more with a renewed one when the source has it. */
  const once = (call: ServiceNowCall): Promise<OutboundResponse> => sendRenewingOn401(target.credentials, (credential) => send(call, credential));

  function rateLimited(waitMs: number): ServiceNowError {
    return new ServiceNowError('PROVIDER_RATE_LIMITED', `ServiceNow's rate-limit rule refuses more calls from this connection; try again in ${Math.max(1, Math.ceil(waitMs / 1000))} s`, {
      status: 429,
      retryable: true,
      retryAfterMs: waitMs,
    });
  }

  async function call(spec: ServiceNowCall): Promise<OutboundResponse> {
    // A 429 is a refusal before anything was done: resending is safe for writes too.
    const { response, pause } = await sendThrough429({
      maxWaitMs: limits.maxRateLimitWaitMs,
      // Observed inside the slot: the next caller starts only after this answer was counted.
      send: () =>
        limiter.run(async (ticket) => {
          const answer = await once(spec);
          return { response: answer, pause: await limiter.observe(answer.status, answer.headers, ticket) };
        }),
      tooLong: rateLimited,
      onWait: (wait) => deps.logger.info({ connection: connectionKey, retry_after_ms: wait }, 'servicenow rate limit: pausing this connection'),
    });
    const ok = response.status >= 200 && response.status < 300;
    // Some front ends answer a sleeping instance's page with 200: it is not the Table API either way.
    if (ok && isHibernationPage(response)) throw errorFromResponse({ ...response, status: 503 }, spec.subject, context);
    if (ok || spec.accept?.includes(response.status)) return response;
    throw errorFromResponse(response, spec.subject, context, pause);
  }

  return {
    target,
    instanceUrl,
    connectionKey,
    limiter,
    logger: deps.logger,
    call,
    async json<T>(spec: ServiceNowCall) {
      const response = await call(spec);
      try {
        return { body: JSON.parse(response.body) as T, response };
      } catch {
        throw new ServiceNowError('PROVIDER_BAD_RESPONSE', `ServiceNow at ${host} answered the request to ${spec.subject.action} with something that is not JSON: check the instance URL`, {
          status: response.status,
        });
      }
    },
  };
}
