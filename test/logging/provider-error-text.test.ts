/**
 * Issue 9, item 4: a provider's error text that quotes an unparseable URL (the text the old redactor
 * recursed on) stays the provider's 4xx error — PROVIDER_BAD_REQUEST / PROVIDER_FIELD_REJECTED / a GitHub
 * validation error — and is not turned into INTERNAL or an unknown outcome (which made the create
 * job search for 30 s before a plain 400 was reported).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GITHUB_VALIDATION } from '../../src/providers/github/index.ts';
import { errorFromResponse as githubErrorFromResponse } from '../../src/providers/github/error-mapping.ts';
import { errorFromResponse, JIRA_BAD_REQUEST, JIRA_FIELD_REJECTED, JiraError } from '../../src/providers/jira/errors.ts';
import { adfText, makeClient } from '../providers/jira/helpers.ts';
import { staticCredentials } from '../../src/providers/credentials/index.ts';

const hostileTexts = ['see http://127.0.0.1:${port}/x', 'http://[::1', 'example: http://exa%mple.com/?token=%zz', `Bearer ${'x'.repeat(50_000)} http://[::1`];
const create = { action: 'create an issue in project SEC', projectKey: 'SEC', write: true };
const basicCloud = { flavor: 'cloud' as const, auth: 'basic' as const };

describe('provider error texts that quote unparseable URLs', () => {
  it('Jira: a 400 stays PROVIDER_BAD_REQUEST (or the field error), with a known outcome', () => {
    for (const text of hostileTexts) {
      const bad = errorFromResponse({ status: 400, body: JSON.stringify({ errorMessages: [text], errors: {} }) }, create, basicCloud);
      expect(bad).toMatchObject({ code: JIRA_BAD_REQUEST, outcomeUnknown: false, retryable: false });
      const field = errorFromResponse({ status: 400, body: JSON.stringify({ errorMessages: [], errors: { description: text } }) }, create, basicCloud);
      expect(field).toMatchObject({ code: JIRA_FIELD_REJECTED, field: 'description', outcomeUnknown: false });
      expect(field.message.length).toBeLessThan(1000);
    }
  });

  it('GitHub: a 422 stays a GitHub validation error', () => {
    for (const text of hostileTexts) {
      const error = githubErrorFromResponse(
        { status: 422, message: text, response: { headers: {}, data: { message: 'Validation Failed', errors: [{ message: text }] } } },
        { action: 'open a pull request on acme/web', notFound: 'acme/web was not found', write: true },
        [],
      );
      expect(error.code).toBe(GITHUB_VALIDATION);
      expect(error.upstreamStatus).toBe(422);
    }
  });
});

describe('the Jira client against a Jira that answers 400 with such a text', () => {
  let server: http.Server;
  let baseUrl: string;
  let requests = 0;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      requests += 1;
      request.resume();
      request.on('end', () => {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ errorMessages: [`Invalid link near http://[::1 and ${hostileTexts[0]}`], errors: {} }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('createIssue fails once with PROVIDER_BAD_REQUEST, not an unknown outcome', async () => {
    const { client } = makeClient({ flavor: 'cloud', baseUrl, credentials: staticCredentials({ kind: 'api-token', email: 'a@example.com', apiToken: 'tok' }), connectionId: 'hostile' });
    const error = await client
      .createIssue({ project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 's', description: adfText('x') })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JiraError);
    expect(error).toMatchObject({ code: JIRA_BAD_REQUEST, outcomeUnknown: false });
    expect((error as JiraError).message).toContain('Invalid link near http://[::1');
    expect(requests).toBe(1);
  });
});
