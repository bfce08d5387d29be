import { describe, expect, it } from 'vitest';
import { OUTBOUND_DNS_FAILED, OUTBOUND_NETWORK_ERROR, OUTBOUND_TIMEOUT, OUTBOUND_URL_REFUSED, OutboundError } from '../../../src/http-client/index.ts';
import {
  errorFromOutbound,
  errorFromResponse,
  JIRA_AUTH_FAILED,
  JIRA_BAD_REQUEST,
  JIRA_FIELD_REJECTED,
  JIRA_FORBIDDEN,
  JIRA_PROJECT_NOT_FOUND,
  JIRA_SITE_UNREACHABLE,
  JIRA_UNAVAILABLE,
} from '../../../src/providers/jira/errors.ts';

const create = { action: 'create an issue in project SEC', projectKey: 'SEC', write: true };
const basicCloud = { flavor: 'cloud' as const, auth: 'basic' as const };
const body = (value: unknown) => JSON.stringify(value);

describe('Jira error mapping', () => {
  it('401 in any body shape is PROVIDER_AUTH_FAILED with advice for the auth kind', () => {
    const html = errorFromResponse({ status: 401, body: '<html>Unauthorized (401)</html>' }, create, { flavor: 'server', auth: 'bearer' });
    expect(html).toMatchObject({ code: JIRA_AUTH_FAILED, upstreamStatus: 401, retryable: false });
    expect(html.message).toMatch(/personal access token/);
    expect(errorFromResponse({ status: 401, body: 'Client must be authenticated to access this resource.' }, create, basicCloud).message).toMatch(/email and API token/);
    expect(errorFromResponse({ status: 401, body: body({ code: 401, message: 'Unauthorized' }) }, create, { flavor: 'cloud', auth: 'bearer' }).message).toMatch(/expired or was revoked/);
  });

  it('403 names the action and project once; 400 project errors in Cloud and Server wording', () => {
    const forbidden = errorFromResponse({ status: 403, body: body({ errorMessages: ['nope'], errors: {} }) }, create, basicCloud);
    expect(forbidden.code).toBe(JIRA_FORBIDDEN);
    expect(forbidden.message).toMatch(/^The Jira account has no permission to create an issue in project SEC: /);
    for (const said of [{ errors: { project: 'Specify a valid project ID or key' } }, { errorMessages: ["The value 'SEC' does not exist for the field 'project'."] }]) {
      expect(errorFromResponse({ status: 400, body: body(said) }, create, basicCloud).code).toBe(JIRA_PROJECT_NOT_FOUND);
    }
  });

  it('field errors name the field and carry all of them; other 400s quote Jira briefly', () => {
    const field = errorFromResponse(
      { status: 400, body: body({ errorMessages: [], errors: { customfield_1: "Field 'customfield_1' cannot be set. It is not on the appropriate screen, or unknown.", labels: 'bad' } }) },
      create,
      basicCloud,
    );
    expect(field).toMatchObject({ code: JIRA_FIELD_REJECTED, field: 'customfield_1', fieldErrors: { labels: 'bad' } });
    expect(errorFromResponse({ status: 400, body: body({ errorMessages: ["Field 'priority' is required"] }) }, create, basicCloud)).toMatchObject({ field: 'priority' });
    const jql = errorFromResponse({ status: 400, body: body({ errorMessages: [`Error in the JQL Query: ${'x'.repeat(1000)}`] }) }, { action: 'search' }, basicCloud);
    expect(jql.code).toBe(JIRA_BAD_REQUEST);
    expect(jql.message.length).toBeLessThan(400);
  });

  it('5xx is retryable; a lost write answer is outcome-unknown, a 503 is not', () => {
    expect(errorFromResponse({ status: 500, body: '' }, create, basicCloud)).toMatchObject({ code: JIRA_UNAVAILABLE, retryable: true, outcomeUnknown: true });
    expect(errorFromResponse({ status: 503, body: '' }, create, basicCloud)).toMatchObject({ outcomeUnknown: false });
    expect(errorFromResponse({ status: 500, body: '' }, { action: 'read' }, basicCloud)).toMatchObject({ outcomeUnknown: false });
  });

  it('says which way the site was unreachable, and never leaks credentials', () => {
    const guard = errorFromOutbound(new OutboundError(OUTBOUND_URL_REFUSED, 'refused', { reason: 'address 10.0.0.5 is private' }), create, '10.0.0.5');
    expect(guard).toMatchObject({ code: JIRA_SITE_UNREACHABLE });
    expect(guard.message).toMatch(/outbound guard \(address 10\.0\.0\.5 is private\).*OUTBOUND_ALLOWED_HOSTS/);
    expect(errorFromOutbound(new OutboundError(OUTBOUND_DNS_FAILED, 'dns'), create, 'acme.atlassian.net').message).toMatch(/DNS lookup failed/);
    expect(errorFromOutbound(new OutboundError(OUTBOUND_NETWORK_ERROR, 'x', { causeCode: 'ECONNREFUSED' }), create, 'h').message).toMatch(/refused the connection/);
    expect(errorFromOutbound(new OutboundError(OUTBOUND_TIMEOUT, 'x'), create, 'h')).toMatchObject({ code: JIRA_UNAVAILABLE, outcomeUnknown: true });
    const leaky = errorFromResponse({ status: 400, body: body({ errorMessages: ['token Bearer abcdefghijklmnop was bad'] }) }, create, basicCloud);
    expect(leaky.message).not.toContain('abcdefghijklmnop');
  });
});
