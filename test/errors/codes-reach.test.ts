/**
 * No code outside the catalogue reaches a response (issue 10 item 7). The type system does most of it
 * (CodedError's code is an ErrorCode, errorBody takes a public code, response schemas enumerate the
 * catalogue); this file checks what types cannot: every code literal written anywhere in src/, every
 * code the provider error mappers can produce for any answer or transport failure, and what the error
 * handler sends for each kind of coded error.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { CryptoError } from '../../src/crypto/errors.ts';
import { AppError, CodedError } from '../../src/errors/app-error.ts';
import { errorCatalogue, isErrorCode, publicCode, publicErrorCodes } from '../../src/errors/catalogue.ts';
import { GitError } from '../../src/git/errors.ts';
import { OutboundError, type OutboundErrorCode } from '../../src/http-client/errors.ts';
import { installErrorHandling } from '../../src/http/plugins/errors.ts';
import { errorResponse } from '../../src/http/schemas.ts';
import { PermanentJobError, RetryLaterError } from '../../src/jobs/errors.ts';
import { errorFromResponse as githubFromResponse, errorFromTransport as githubFromTransport } from '../../src/providers/github/error-mapping.ts';
import { errorFromOutbound as jiraFromOutbound, errorFromResponse as jiraFromResponse, JiraError } from '../../src/providers/jira/errors.ts';
import { describeFailure, PullRequestError } from '../../src/services/pull-requests/errors.ts';
import { SharedStateError } from '../../src/shared-state/errors.ts';

const srcRoot = new URL('../../src/', import.meta.url).pathname;

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Places a code is produced: `code: 'X'`, `error_code: 'X'`, `errorCode: 'X'`, `new SomeError('X'`, `export const NAME = 'X'` in an errors module. */
const producers = [
  /\b(?:code|error_code|errorCode)\s*:\s*'([A-Z][A-Z0-9_]{2,})'/g,
  /\bnew\s+[A-Za-z]*Error\(\s*'([A-Z][A-Z0-9_]{2,})'/g,
  /\bcode\s*===?\s*'([A-Z][A-Z0-9_]{2,})'\s*\?\s*'([A-Z][A-Z0-9_]{2,})'/g,
];
const constant = /^export const [A-Z0-9_]+ = '([A-Z][A-Z0-9_]{2,})';$/gm;

/** The outbound client's own codes are mapped by each provider and never answered as they are. */
const outboundOnly = (file: string) => file.includes('/http-client/');

describe('every code produced in src/ is in the catalogue', () => {
  it('code literals in every source file', async () => {
    const unknown: string[] = [];
    let seen = 0;
    for (const file of await sourceFiles(srcRoot)) {
      if (outboundOnly(file)) continue;
      const text = await readFile(file, 'utf8');
      const codes = producers.flatMap((pattern) => [...text.matchAll(pattern)].flatMap((match) => match.slice(1).filter(Boolean)));
      if (/\/errors\.ts$/.test(file)) codes.push(...[...text.matchAll(constant)].map((match) => match[1]!));
      for (const code of codes) {
        if (code.startsWith('FST_') || code.startsWith('OUTBOUND_')) continue; // Fastify's and the outbound client's, compared against
        seen++;
        if (!isErrorCode(code)) unknown.push(`${file.slice(srcRoot.length)}: ${code}`);
      }
    }
    expect(seen).toBeGreaterThan(50);
    expect(unknown).toEqual([]);
  });

  it('the old provider-specific codes and the ones that leaked are gone', () => {
    for (const old of ['GITHUB_ERROR', 'UNSUPPORTED', 'GITHUB_RESPONSE_TOO_LARGE', 'JIRA_AUTH_FAILED', 'GITHUB_AUTH_FAILED', 'JIRA_RATE_LIMITED']) expect(isErrorCode(old)).toBe(false);
  });
});

const outboundCodes: OutboundErrorCode[] = [
  'OUTBOUND_URL_REFUSED',
  'OUTBOUND_DNS_FAILED',
  'OUTBOUND_NETWORK_ERROR',
  'OUTBOUND_TIMEOUT',
  'OUTBOUND_ABORTED',
  'OUTBOUND_TOO_MANY_REDIRECTS',
  'OUTBOUND_RESPONSE_TOO_LARGE',
  'OUTBOUND_INVALID_JSON',
  'OUTBOUND_INVALID_REQUEST',
];
const bodies = [
  '',
  '<html>oops</html>',
  JSON.stringify({ errorMessages: ['Specify a valid project ID or key'], errors: {} }),
  JSON.stringify({ errorMessages: [], errors: { customfield_1: 'bad' } }),
  JSON.stringify({ errorMessages: ["Field 'x' is required"] }),
  JSON.stringify({ errorMessages: ['INVALID_INPUT'] }),
  JSON.stringify({ errorMessages: ['Transition id 5 is not valid for this issue.'] }),
  JSON.stringify({ message: 'Validation Failed', errors: [{ message: 'A pull request already exists for a:b.' }] }),
  JSON.stringify({ message: 'Reference already exists' }),
  JSON.stringify({ message: 'Update is not a fast forward' }),
  JSON.stringify({ message: 'Validation Failed', errors: [{ message: 'No commits between main and x' }] }),
];

describe('the provider error mappers produce catalogue codes only', () => {
  it('Jira: every status from 300 to 599 with every body shape, every transport failure; each names its provider', () => {
    const produced = new Set<string>();
    for (let status = 300; status < 600; status++) {
      for (const body of bodies) {
        for (const notFound of [undefined, 'PROJECT_NOT_FOUND', 'TICKET_NOT_FOUND'] as const) {
          const error = jiraFromResponse({ status, body }, { action: 'create an issue', projectKey: 'SEC', ...(notFound ? { notFound } : {}), write: true }, { flavor: 'cloud', auth: 'basic' });
          produced.add(error.code);
        }
      }
    }
    for (const code of outboundCodes) {
      produced.add(jiraFromOutbound(new OutboundError(code, 'x', { causeCode: 'ECONNREFUSED' }), { action: 'read' }, 'jira.example').code);
      produced.add(jiraFromOutbound(new OutboundError(code, 'x'), { action: 'read', write: true }, 'jira.example').code);
    }
    produced.add(jiraFromOutbound(new Error('boom'), { action: 'read' }, 'jira.example').code);
    expect([...produced].filter((code) => !isErrorCode(code))).toEqual([]);
    expect(produced).toContain('PROVIDER_AUTH_FAILED');
    expect(produced).toContain('PROJECT_NOT_FOUND');
    expect(produced).toContain('TRANSITION_NOT_AVAILABLE');
  });

  it('GitHub: every status with every body shape and header set, every transport failure', () => {
    const produced = new Set<string>();
    const headerSets = [{}, { 'x-ratelimit-remaining': '0' }, { 'retry-after': '5' }];
    for (let status = 300; status < 600; status++) {
      for (const body of bodies) {
        for (const headers of headerSets) {
          const error = githubFromResponse({ status, message: 'x', response: { headers, data: body } }, { action: 'push', notFound: 'no repo' }, []);
          expect(error.provider).toBe('github');
          produced.add(error.code);
        }
      }
    }
    for (const code of outboundCodes) produced.add(githubFromTransport(new OutboundError(code, 'x'), { action: 'read', notFound: 'no', write: true }, 'api.github.com').code);
    expect([...produced].filter((code) => !isErrorCode(code))).toEqual([]);
    expect(produced).toContain('PROVIDER_RESPONSE_TOO_LARGE');
    expect(produced).toContain('PULL_REQUEST_EXISTS');
  });

  it('the PR engine describes every failure with a catalogue code and a provider', () => {
    const failures: unknown[] = [
      new GitError('PUSH_REJECTED', 'rejected'),
      new GitError('REPOSITORY_TOO_LARGE', 'too big'),
      new PullRequestError('BASE_BRANCH_NOT_FOUND', 'no base'),
      new OutboundError('OUTBOUND_URL_REFUSED', 'x', { reason: 'private' }),
      new OutboundError('OUTBOUND_NETWORK_ERROR', 'x'),
      new Error('a bug'),
    ];
    for (const failure of failures) {
      const described = describeFailure(failure, 'tok-123456');
      expect(isErrorCode(described.code)).toBe(true);
      expect(described.provider).toBe('github');
    }
  });
});

describe('every module’s errors share one base', () => {
  it('each error class is a CodedError with its status from the catalogue', () => {
    const errors: CodedError[] = [
      new AppError('NOT_FOUND', 'x'),
      new JiraError('PROVIDER_RATE_LIMITED', 'x', { status: 429, retryable: true, retryAfterMs: 3000, provider: 'jira-cloud' }),
      githubFromResponse({ status: 401, message: 'x', response: { headers: {}, data: {} } }, { action: 'read', notFound: 'no' }, []),
      new GitError('BRANCH_NAME_INVALID', 'x'),
      new CryptoError('CRYPTO_DECRYPT_FAILED', 'x'),
      new SharedStateError('SHARED_STATE_CLOSED', 'x'),
      new PermanentJobError('x'),
      new RetryLaterError('x', 1000),
      new PullRequestError('BRANCH_MOVED', 'x', true),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(CodedError);
      expect(error.status).toBe(errorCatalogue[error.code].status);
    }
  });

  it('the error body schema accepts only public catalogue codes', () => {
    expect(errorResponse.safeParse({ error: { code: 'PROVIDER_AUTH_FAILED', message: 'x', provider: 'jira-cloud' } }).success).toBe(true);
    for (const code of ['GITHUB_ERROR', 'UNSUPPORTED', 'CRYPTO_DECRYPT_FAILED', 'UPSTREAM_FAILED_'] as const) {
      expect(errorResponse.safeParse({ error: { code, message: 'x' } }).success).toBe(false);
    }
    expect(publicErrorCodes).not.toContain('CRYPTO_DECRYPT_FAILED');
    expect(publicCode('SHARED_STATE_UNAVAILABLE')).toBe('INTERNAL');
  });
});

describe('the error handler answers every coded error in the catalogue’s shape', () => {
  async function answer(error: Error) {
    const app = Fastify();
    installErrorHandling(app);
    app.get('/x', async () => {
      throw error;
    });
    const response = await app.inject({ method: 'GET', url: '/x' });
    await app.close();
    return response;
  }

  it('a provider error keeps its code and names the provider; a rate limit carries Retry-After', async () => {
    const response = await answer(new JiraError('PROVIDER_RATE_LIMITED', 'slow down', { status: 429, retryable: true, retryAfterMs: 2500, provider: 'jira-server' }));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('3');
    expect(response.json().error).toMatchObject({ code: 'PROVIDER_RATE_LIMITED', provider: 'jira-server' });
  });

  it('a 4xx provider error keeps its message and field', async () => {
    const response = await answer(new JiraError('PROVIDER_FIELD_REJECTED', 'Jira refused field customfield_1', { status: 400, field: 'customfield_1', provider: 'jira-cloud' }));
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({ error: { code: 'PROVIDER_FIELD_REJECTED', message: 'Jira refused field customfield_1', field: 'customfield_1', provider: 'jira-cloud' } });
  });

  it('internal codes (crypto, shared state, jobs) are answered as INTERNAL with the generic message', async () => {
    for (const error of [new CryptoError('CRYPTO_DECRYPT_FAILED', 'key k1 failed for row 42'), new SharedStateError('SHARED_STATE_UNAVAILABLE', 'redis down'), new PermanentJobError('x')]) {
      const response = await answer(error);
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({ error: { code: 'INTERNAL', message: errorCatalogue.INTERNAL.description } });
    }
  });
});
