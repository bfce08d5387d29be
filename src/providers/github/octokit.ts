/**
 * The Octokit instance behind the GitHub client. Retry layer: Octokit's plugins, and only they.
 * - every HTTP request goes through the outbound client with `maxAttempts: 1` (fetch-adapter.ts);
 * - @octokit/plugin-throttling waits out primary and secondary rate limits (retry-after, else the
 *   reset time, else a minute) up to `maxRateLimitRetries` times when the wait is at most
 *   `maxRateLimitWaitMs`; longer waits come back as GITHUB_RATE_LIMITED for the job queue;
 * - @octokit/plugin-retry resends 5xx and broken connections, but only for calls that are safe to
 *   resend (reads, PATCH/PUT, content-addressed git objects, labels): the small plugin below turns
 *   retries off for the rest (a comment or a PR must not be created twice) and for failures that a
 *   retry cannot fix (refused URL, oversized answer).
 * Content-creating requests are spaced per token (spacing.ts), as GitHub asks.
 */
import { createHash } from 'node:crypto';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import { isConnectFailure, OUTBOUND_NETWORK_ERROR, OUTBOUND_TIMEOUT, type OutboundClient, OutboundError } from '../../http-client/index.ts';
import { authorizationOf, type Credential } from '../credentials/index.ts';
import { createOutboundFetch } from './fetch-adapter.ts';
import { spacingGroup } from './spacing.ts';
import type { GitHubClientOptions, GitHubTarget } from './types.ts';

export const DEFAULT_OPTIONS: GitHubClientOptions = {
  timeoutMs: 30_000,
  maxRetries: 2,
  maxRateLimitRetries: 2,
  maxRateLimitWaitMs: 120_000,
  secondMs: 1000,
  writeIntervalMs: 1000,
  notificationIntervalMs: 3000,
  treeWalkConcurrency: 8,
};

export const API_VERSION = '2022-11-28';

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH']);
// Blobs, trees and commits are content-addressed or unreferenced until a ref moves; labels are a set.
const RESENDABLE_POSTS = [/\/git\/(blobs|trees|commits)$/, /\/issues\/[^/]+\/labels$/];

interface HookOptions {
  method: string;
  url: string;
  request: Record<string, unknown>;
  headers: Record<string, string | undefined>;
}

/** Safe to resend after a 5xx or a connection that broke mid-request. */
export function isResendable(method: string, url: string): boolean {
  const upper = method.toUpperCase();
  if (IDEMPOTENT_METHODS.has(upper)) return true;
  const path = url.split('?')[0] ?? '';
  return upper === 'POST' && RESENDABLE_POSTS.some((pattern) => pattern.test(path));
}

function retryable(error: unknown, options: HookOptions): boolean {
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof OutboundError) {
    if (isConnectFailure(cause)) return true;
    if (cause.code === OUTBOUND_TIMEOUT || cause.code === OUTBOUND_NETWORK_ERROR) return isResendable(options.method, options.url);
    return false;
  }
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 500) return isResendable(options.method, options.url);
  // 4xx: the retry plugin's doNotRetry list and the throttling plugin decide.
  return true;
}

/**
 * Registered before the throttling and retry plugins, so its error hook is the innermost and runs
 * first: it switches retries off (per request) for failures that must not be resent.
 */
const resendGuard: Parameters<typeof Octokit.plugin>[0] = (octokit) => {
  octokit.hook.error('request', (error, options) => {
    const hookOptions = options as unknown as HookOptions;
    if (!retryable(error, hookOptions)) hookOptions.request.retries = 0;
    throw error;
  });
  return {};
};

const GitHubOctokit = Octokit.plugin(resendGuard, throttling, retry);
export type GitHubOctokit = InstanceType<typeof GitHubOctokit>;

/** Who shares one spacing and concurrency budget: the connection, else API URL + credential identity (hashed). */
export function budgetKey(target: GitHubTarget): string {
  if (target.connectionId) return `github-conn:${target.connectionId}`;
  return `github:${createHash('sha256').update(`${target.apiUrl}\n${target.credentials.key}`).digest('hex').slice(0, 24)}`;
}

export function createOctokit(
  target: GitHubTarget,
  deps: { http: OutboundClient; logger: Logger },
  options: GitHubClientOptions,
  onCredential: (credential: Credential) => void = () => {},
): GitHubOctokit {
  const { logger } = deps;
  const fetch = createOutboundFetch(
    deps.http,
    {
      provider: 'github',
      ...(target.connectionId ? { connectionId: target.connectionId } : {}),
      ...(target.orgId ? { orgId: target.orgId } : {}),
    },
    options.timeoutMs,
  );
  const waitAllowed = (kind: string) => (retryAfterSeconds: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
    const waitMs = retryAfterSeconds * 1000;
    const allowed = retryCount < options.maxRateLimitRetries && waitMs <= options.maxRateLimitWaitMs;
    logger.info(
      { provider: 'github', kind, method: request.method, route: request.url, retry_after_s: retryAfterSeconds, retry_count: retryCount, waiting: allowed },
      allowed ? `github ${kind}: waiting before retrying` : `github ${kind}: giving the wait back to the caller`,
    );
    return allowed;
  };
  const octokit = new GitHubOctokit({
    baseUrl: target.apiUrl.replace(/\/+$/, ''),
    userAgent: 'integration-service',
    request: { fetch },
    // The outbound client already logs every call; Octokit's own lines go to debug.
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => logger.warn({ provider: 'github' }, message),
      error: () => {},
    },
    throttle: {
      id: budgetKey(target),
      retryAfterBaseValue: options.secondMs,
      onRateLimit: waitAllowed('rate limit'),
      onSecondaryRateLimit: waitAllowed('secondary rate limit'),
      // Our spacing groups implement the part of Bottleneck.Group the plugin calls.
      write: spacingGroup(options.writeIntervalMs) as never,
      notifications: spacingGroup(options.notificationIntervalMs) as never,
    },
    retry: {
      retries: options.maxRetries,
      retryAfterBaseValue: options.secondMs,
      // Rate limits (403/429) belong to the throttling plugin; other 4xx are answers, not accidents.
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
    },
  });
  octokit.hook.before('request', (requestOptions) => {
    const hookOptions = requestOptions as unknown as HookOptions;
    // endpoint.merge shares the default `request` object between calls; per-call retry state must not leak.
    hookOptions.request = { ...hookOptions.request };
    hookOptions.headers['x-github-api-version'] ??= API_VERSION;
  });
  // Registered last, so outermost: every attempt of the plugins carries the credential of the
  // moment, and a 401 (GitHub did nothing) is tried once more when the source renews the credential.
  octokit.hook.wrap('request', async (request, requestOptions) => {
    const hookOptions = requestOptions as unknown as HookOptions;
    const credential = await target.credentials.current();
    onCredential(credential);
    hookOptions.headers.authorization = authorizationOf(credential);
    try {
      return await request(requestOptions);
    } catch (error) {
      if ((error as { status?: unknown })?.status !== 401) throw error;
      const renewed = await target.credentials.renewAfterRejection(credential);
      if (!renewed) throw error;
      onCredential(renewed);
      hookOptions.headers.authorization = authorizationOf(renewed);
      return request(requestOptions);
    }
  });
  return octokit;
}
