/**
 * ServiceNow as data (its client comes with the ServiceNow issue): an instance URL and a table,
 * basic auth or OAuth through the instance's oauth_token.do (form-encoded only; the refresh grant
 * returns no new refresh token), the signed outbound call and the rate-limit headers
 * (../../shared/PROVIDER-FACTS.md §6). Validated by the registry at start.
 */
import type { ProviderDescriptorInput } from '../descriptor/schema.ts';

export const servicenowDescriptor = {
  id: 'servicenow',
  name: 'ServiceNow',
  kind: 'ticketing',
  docsUrl: 'https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI',
  fields: [
    { name: 'instance_url', type: 'url', label: 'Instance URL', required: true, store: 'site_url', https: true, description: 'https://{instance}.service-now.com' },
    {
      name: 'table',
      type: 'text',
      label: 'Table',
      required: false,
      default: 'incident',
      store: 'setting',
      pattern: '[a-z][a-z0-9_]{0,79}',
      maxLength: 80,
      description: 'incident, sn_vul_vulnerable_item, or a custom table (u_…)',
    },
  ],
  auth: [
    {
      kind: 'basic',
      header: 'basic',
      pasted: true,
      fields: [
        { name: 'username', type: 'text', label: 'User name', required: true, store: 'account_email', maxLength: 255 },
        { name: 'password', type: 'secret', label: 'Password', required: true, store: 'secret', maxLength: 4096 },
      ],
    },
    {
      kind: 'oauth2',
      header: 'bearer',
      pasted: false,
      description: "The instance's OAuth endpoint: authorization code (redirect /oauth/servicenow) or password grant",
      authorizeUrl: { setting: 'SERVICENOW_AUTHORIZE_URL', default: '{instance}', path: '/oauth_auth.do' },
      tokenUrl: { setting: 'SERVICENOW_TOKEN_URL', default: '{instance}', path: '/oauth_token.do' },
      tokenRequest: 'form',
      grants: ['authorization_code', 'password', 'refresh_token'],
      scopes: { setting: 'SERVICENOW_SCOPES', default: ['ticket.read', 'ticket.write'] },
      requiredScopes: [],
      audience: null,
      pkce: 'none',
      authorizeParams: {},
      apiBaseUrl: null,
      refresh: {
        rotates: false,
        reuseLeewaySeconds: 0,
        reuseRevokesChain: false,
        refreshBeforeExpirySeconds: 60,
        idleLifetimeDays: null,
        // The application registry's default Refresh Token Lifespan (8,640,000 s); per instance.
        absoluteLifetimeDays: 100,
        returnsRefreshToken: false,
      },
      redirectPath: '/oauth/servicenow',
    },
  ],
  credentialHosts: { fields: ['instance_url'] },
  // ServiceNow has no standard webhook; our Business Rule script signs its outbound call so.
  webhook: { signatureHeader: 'X-ServiceNow-Signature', algorithm: 'hmac-sha256', prefix: '', encoding: 'hex', deliveryIdHeader: null },
  rateLimit: { statuses: [429], retryAfter: 'Retry-After', limit: 'X-RateLimit-Limit', remaining: null, reset: 'X-RateLimit-Reset', resetFormat: 'epoch-seconds' },
} satisfies ProviderDescriptorInput;
