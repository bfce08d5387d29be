/**
 * One Jira call, start to finish: URL under the flavour's REST root, auth and JSON headers, the
 * per-connection limiter, the outbound client (which retries 5xx/timeouts of idempotent calls), and
 * our own 429 loop, because every 429 must first set the shared pause that all processes obey.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { type OutboundClient, type OutboundResponse, sendThrough429 } from '../../http-client/index.ts';
import type { SharedState } from '../../shared-state/index.ts';
import { authorizationOf, type Credential, sendRenewingOn401 } from '../credentials/index.ts';
import { type AuthKind, type CallSubject, errorFromOutbound, errorFromResponse, JIRA_BAD_RESPONSE, JIRA_RATE_LIMITED, JiraError } from './errors.ts';
import { createJiraLimiter, type JiraLimiter, type JiraLimiterRegistry } from './limiter.ts';
import type { JiraLimits, JiraTarget } from './types.ts';

export const DEFAULT_LIMITS: JiraLimits = {
  maxConcurrent: 4,
  maxRateLimitWaitMs: 60_000,
  timeoutMs: 30_000,
  maxAttempts: 3,
  createMetaTtlMs: 10 * 60_000,
};

export interface JiraCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the REST root, e.g. `/issue/SEC-1`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  subject: CallSubject;
  /** Statuses that are answers, not errors (e.g. 404 for "no such property"). */
  accept?: number[];
  /** A POST that is safe to resend (search): lets the outbound client retry it on 5xx. */
  idempotent?: boolean;
}

export interface JiraTransport {
  readonly target: JiraTarget;
  readonly connectionKey: string;
  /** Flavour and Basic-or-Bearer, for error messages that say which credential to check. */
  readonly authKind: AuthKind;
  readonly limiter: JiraLimiter;
  readonly limits: JiraLimits;
  readonly sharedState: SharedState;
  readonly logger: Logger;
  call(call: JiraCall): Promise<OutboundResponse>;
  json<T>(call: JiraCall): Promise<T>;
}

/** Who shares one budget at Jira: the connection, else site + credential identity (hashed, never the secret). */
export function connectionKeyOf(target: JiraTarget): string {
  if (target.connectionId) return `conn:${target.connectionId}`;
  return `site:${createHash('sha256').update(`${target.baseUrl}\n${target.credentials.key}`).digest('hex').slice(0, 24)}`;
}

export function createJiraTransport(
  target: JiraTarget,
  deps: { http: OutboundClient; sharedState: SharedState; logger: Logger; limiters: JiraLimiterRegistry; limits: JiraLimits },
): JiraTransport {
  const base = target.baseUrl.replace(/\/+$/, '');
  const root = `${base}/rest/api/${target.flavor === 'cloud' ? '3' : '2'}`;
  const host = (() => {
    try {
      return new URL(base).host;
    } catch {
      return 'the configured site';
    }
  })();
  const basic = target.credentials.kind === 'api-token' || target.credentials.kind === 'basic';
  const kind: AuthKind = { flavor: target.flavor, auth: basic ? 'basic' : 'bearer' };
  const connectionKey = connectionKeyOf(target);
  const limits = deps.limits;
  const limiter = createJiraLimiter({
    key: connectionKey,
    sharedState: deps.sharedState,
    registry: deps.limiters,
    maxConcurrent: limits.maxConcurrent,
    maxPauseMs: limits.maxRateLimitWaitMs,
  });

  function urlOf(call: JiraCall): string {
    const url = new URL(`${root}${call.path}`);
    for (const [name, value] of Object.entries(call.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    return url.toString();
  }

  async function send(call: JiraCall, credential: Credential): Promise<OutboundResponse> {
    const headers: Record<string, string> = { authorization: authorizationOf(credential), accept: 'application/json' };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await deps.http.request({
        method: call.method,
        url: urlOf(call),
        headers,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        timeoutMs: limits.timeoutMs,
        // 429 is ours (see the header comment); 5xx and timeouts are the outbound client's, idempotent calls only.
        retry: { maxAttempts: limits.maxAttempts, retryOn: [500, 502, 503, 504], ...(call.idempotent ? { idempotent: true } : {}) },
        context: {
          provider: target.flavor === 'cloud' ? 'jira-cloud' : 'jira-server',
          ...(target.connectionId ? { connectionId: target.connectionId } : {}),
          ...(target.orgId ? { orgId: target.orgId } : {}),
        },
      });
    } catch (error) {
      throw errorFromOutbound(error, call.subject, host);
    }
  }

  /** The credential of the moment; after a 401, once more with a renewed one when the source has it. */
  const once = (call: JiraCall): Promise<OutboundResponse> => sendRenewingOn401(target.credentials, (credential) => send(call, credential));

  async function call(spec: JiraCall): Promise<OutboundResponse> {
    const { response, pause } = await sendThrough429({
      maxWaitMs: limits.maxRateLimitWaitMs,
      send: async () => {
        const answer = await limiter.run(() => once(spec));
        return { response: answer, pause: await limiter.observe(answer.status, answer.headers) };
      },
      tooLong: rateLimited,
      onWait: (wait) => deps.logger.info({ connection: connectionKey, retry_after_ms: wait }, 'jira rate limit: pausing this connection'),
    });
    if ((response.status >= 200 && response.status < 300) || spec.accept?.includes(response.status)) return response;
    throw errorFromResponse(response, spec.subject, kind, pause);
  }

  function rateLimited(waitMs: number): JiraError {
    return new JiraError(JIRA_RATE_LIMITED, `Jira is rate-limiting this connection; try again in ${Math.max(1, Math.ceil(waitMs / 1000))} s`, {
      status: 429,
      retryable: true,
      retryAfterMs: waitMs,
    });
  }

  return {
    target,
    connectionKey,
    authKind: kind,
    limiter,
    limits,
    sharedState: deps.sharedState,
    logger: deps.logger,
    call,
    async json<T>(spec: JiraCall): Promise<T> {
      const response = await call(spec);
      try {
        return JSON.parse(response.body) as T;
      } catch {
        throw new JiraError(JIRA_BAD_RESPONSE, `Jira at ${host} answered the request to ${spec.subject.action} with something that is not JSON: check the site URL`, {
          status: response.status,
        });
      }
    },
  };
}
