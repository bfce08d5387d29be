/**
 * Confluence Cloud as data (its client comes with the OAuth issue): the site, an API token or
 * Atlassian OAuth 2.0 through the gateway /ex/confluence/{cloudId}, rate-limit headers
 * (../../shared/PROVIDER-FACTS.md §3). Validated by the registry at start.
 */
import type { ProviderDescriptorInput } from '../descriptor/schema.ts';

export const confluenceDescriptor = {
  id: 'confluence',
  name: 'Confluence Cloud',
  kind: 'wiki',
  docsUrl: 'https://developer.atlassian.com/cloud/confluence/rest/v2/intro/',
  fields: [{ name: 'site_url', type: 'url', label: 'Site URL', required: true, store: 'site_url', https: true, description: 'https://your-site.atlassian.net' }],
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
      authorizeUrl: { setting: 'ATLASSIAN_AUTH_URL', default: 'https://auth.atlassian.com', path: '/authorize' },
      tokenUrl: { setting: 'ATLASSIAN_AUTH_URL', default: 'https://auth.atlassian.com', path: '/oauth/token' },
      tokenRequest: 'json',
      grants: ['authorization_code', 'refresh_token'],
      // Seed 004's Confluence scopes (classic; the v2 API wants the granular ones on some endpoints).
      scopes: { setting: 'ATLASSIAN_SCOPES', default: ['read:confluence-space.summary', 'read:confluence-content.all', 'write:confluence-content', 'read:confluence-props', 'read:me'] },
      requiredScopes: ['offline_access'],
      audience: 'api.atlassian.com',
      pkce: 'S256',
      authorizeParams: { prompt: 'consent' },
      apiBaseUrl: { setting: 'ATLASSIAN_API_URL', default: 'https://api.atlassian.com', path: '/ex/confluence/{cloud_id}' },
      refresh: {
        rotates: true,
        reuseLeewaySeconds: 600,
        reuseRevokesChain: true,
        refreshBeforeExpirySeconds: 120,
        idleLifetimeDays: 90,
        absoluteLifetimeDays: 365,
        returnsRefreshToken: true,
      },
      redirectPath: '/api/v1/auth/atlassian/callback',
    },
  ],
  credentialHosts: { fields: ['site_url'] },
  webhook: null,
  rateLimit: { statuses: [429], retryAfter: 'Retry-After', limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset', resetFormat: 'iso-8601' },
} satisfies ProviderDescriptorInput;
