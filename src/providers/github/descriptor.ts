/**
 * GitHub (and GitHub Enterprise Server at https://{host}/api/v3) as data: a personal access token
 * or a GitHub App installation, the API URL, git's host next to the API host, webhook signing and
 * rate-limit headers (../../shared/PROVIDER-FACTS.md §4). Validated by the registry at start.
 */
import type { ProviderDescriptorInput } from '../descriptor/schema.ts';

export const githubDescriptor = {
  id: 'github',
  name: 'GitHub',
  kind: 'code-host',
  docsUrl: 'https://docs.github.com/rest',
  fields: [
    {
      name: 'api_url',
      type: 'url',
      label: 'API URL',
      required: false,
      default: 'https://api.github.com',
      store: 'api_url',
      https: true,
      description: 'https://api.github.com, or https://{host}/api/v3 for GitHub Enterprise Server',
    },
  ],
  auth: [
    {
      kind: 'pat',
      header: 'bearer',
      pasted: true,
      description: 'A fine-grained or classic personal access token (contents and pull requests: write)',
      fields: [{ name: 'token', type: 'secret', label: 'Token', required: true, store: 'secret', maxLength: 4096 }],
    },
    {
      kind: 'app-installation',
      header: 'bearer',
      pasted: true,
      description: 'A GitHub App: its id and private key sign a JWT that buys installation tokens',
      fields: [
        { name: 'app_id', type: 'text', label: 'App ID', required: true, store: 'setting', pattern: '[0-9]{1,20}', maxLength: 20 },
        { name: 'installation_id', type: 'text', label: 'Installation ID', required: true, store: 'setting', pattern: '[0-9]{1,20}', maxLength: 20 },
        { name: 'private_key', type: 'pem', label: 'Private key (PEM)', required: true, store: 'secret', maxLength: 16_384 },
      ],
      jwt: { algorithm: 'RS256', maxTtlSeconds: 600 },
      tokenPath: '/app/installations/{installation_id}/access_tokens',
      tokenLifetimeSeconds: 3600,
      refreshBeforeExpirySeconds: 300,
    },
  ],
  // api.github.com → github.com too, where git pushes go; on GHES both are the same host.
  credentialHosts: { fields: ['api_url'], stripApiPrefix: true },
  webhook: { signatureHeader: 'X-Hub-Signature-256', algorithm: 'hmac-sha256', prefix: 'sha256=', encoding: 'hex', deliveryIdHeader: 'X-GitHub-Delivery' },
  rateLimit: {
    statuses: [403, 429],
    retryAfter: 'retry-after',
    limit: 'x-ratelimit-limit',
    remaining: 'x-ratelimit-remaining',
    reset: 'x-ratelimit-reset',
    resetFormat: 'epoch-seconds',
  },
} satisfies ProviderDescriptorInput;
