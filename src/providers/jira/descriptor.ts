/**
 * Jira Cloud and Jira Server / Data Center as data: how each authenticates, what a connection
 * needs, where its secrets may go, webhook signing and rate-limit headers
 * (../../shared/PROVIDER-FACTS.md §1–§3). Validated by the registry at start.
 */
import type { ProviderDescriptorInput } from '../descriptor/schema.ts';

const siteUrl = { name: 'site_url', type: 'url', label: 'Site URL', required: true, store: 'site_url', https: true, description: 'https://your-site.atlassian.net, or your Jira server (a context path is kept)' } as const;
const atlassianRateLimit: ProviderDescriptorInput['rateLimit'] = {
  statuses: [429],
  retryAfter: 'Retry-After',
  limit: 'X-RateLimit-Limit',
  remaining: 'X-RateLimit-Remaining',
  reset: 'X-RateLimit-Reset',
  resetFormat: 'iso-8601',
};

export const jiraCloudDescriptor = {
  id: 'jira-cloud',
  name: 'Jira Cloud',
  kind: 'ticketing',
  docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/',
  fields: [siteUrl],
  auth: [
    {
      kind: 'api-token',
      header: 'basic',
      pasted: true,
      fields: [
        { name: 'email', type: 'email', label: 'Account email', required: true, store: 'account_email', maxLength: 320 },
        { name: 'api_token', type: 'secret', label: 'API token', required: true, store: 'secret', maxLength: 4096 },
      ],
    },
    {
      kind: 'oauth2',
      header: 'bearer',
      pasted: false,
      description: 'Atlassian OAuth 2.0 (3LO): one connection per granted site, through the consent flow',
      authorizeUrl: { setting: 'ATLASSIAN_AUTH_URL', default: 'https://auth.atlassian.com', path: '/authorize' },
      tokenUrl: { setting: 'ATLASSIAN_AUTH_URL', default: 'https://auth.atlassian.com', path: '/oauth/token' },
      tokenRequest: 'json',
      grants: ['authorization_code', 'refresh_token'],
      scopes: { setting: 'ATLASSIAN_SCOPES', default: ['read:jira-user', 'read:jira-work', 'write:jira-work', 'read:me'] },
      requiredScopes: ['offline_access'],
      audience: 'api.atlassian.com',
      pkce: 'S256',
      authorizeParams: { prompt: 'consent' },
      apiBaseUrl: { setting: 'ATLASSIAN_API_URL', default: 'https://api.atlassian.com', path: '/ex/jira/{cloud_id}' },
      refresh: {
        rotates: true,
        reuseLeewaySeconds: 600,
        reuseRevokesChain: true,
        refreshBeforeExpirySeconds: 120,
        idleLifetimeDays: 90,
        absoluteLifetimeDays: 365,
        returnsRefreshToken: true,
      },
      redirectPath: '/api/jira/callback',
    },
  ],
  credentialHosts: { fields: ['site_url'] },
  webhook: { signatureHeader: 'X-Hub-Signature', algorithm: 'hmac-sha256', prefix: 'sha256=', encoding: 'hex', deliveryIdHeader: 'X-Atlassian-Webhook-Identifier' },
  rateLimit: atlassianRateLimit,
} satisfies ProviderDescriptorInput;

export const jiraServerDescriptor = {
  id: 'jira-server',
  name: 'Jira Server / Data Center',
  kind: 'ticketing',
  docsUrl: 'https://developer.atlassian.com/server/jira/platform/rest/v10000/intro/',
  fields: [siteUrl],
  auth: [
    {
      kind: 'pat',
      header: 'bearer',
      pasted: true,
      description: 'A personal access token (Jira 8.14+), sent as Bearer; never as a Basic password',
      fields: [{ name: 'pat', type: 'secret', label: 'Personal access token', required: true, store: 'secret', maxLength: 4096 }],
    },
    {
      kind: 'basic',
      header: 'basic',
      pasted: true,
      fields: [
        { name: 'username', type: 'text', label: 'Username', required: true, store: 'account_email', maxLength: 255 },
        { name: 'password', type: 'secret', label: 'Password', required: true, store: 'secret', maxLength: 4096 },
      ],
    },
  ],
  credentialHosts: { fields: ['site_url'] },
  // Server and Data Center webhooks carry no signature.
  webhook: null,
  rateLimit: { statuses: [429], retryAfter: 'Retry-After', limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: null, resetFormat: 'none' },
} satisfies ProviderDescriptorInput;
