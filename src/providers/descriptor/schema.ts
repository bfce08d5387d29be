/**
 * What a provider is, as data (Nango's providers.yaml is the model): its kind, the ways it
 * authenticates, the fields a connection needs and how each is checked, where its secrets may be
 * sent, how its webhooks are signed and which headers carry its rate limits. Each provider folder
 * declares one (`descriptor.ts`); the registry (../registry.ts) validates every one against this
 * schema at start, and connection create / test / list and the route schemas are derived from them.
 */
import { z } from 'zod';

export const PROVIDER_KINDS = ['ticketing', 'code-host', 'wiki'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const AUTH_KINDS = ['api-token', 'pat', 'basic', 'oauth2', 'app-installation'] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];

const snake = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a snake_case name');
const https = z.url({ protocol: /^https$/ });

/** A URL the operator may override (simulators, a private deployment), with the real default. */
const configurableUrl = z.strictObject({
  /** The configuration variable that overrides it. */
  setting: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  /** The real service's URL; `{instance}` stands for the connection's instance URL. */
  default: z.string().min(1),
  /** Appended to the base (e.g. `/authorize` under https://auth.atlassian.com). */
  path: z.string().startsWith('/').default(''),
});

/**
 * One input of a connection. `store` says where the value lives: a column of the connection row
 * (`site_url`, `api_url`, `account_email`), the sealed secrets, or the connection's settings.
 */
export const fieldSchema = z.strictObject({
  name: snake,
  type: z.enum(['url', 'email', 'text', 'secret', 'pem']),
  label: z.string().min(1),
  required: z.boolean(),
  store: z.enum(['site_url', 'api_url', 'account_email', 'secret', 'setting']),
  /** Used when the field is left out. */
  default: z.string().optional(),
  maxLength: z.number().int().positive().max(16_384).default(2048),
  /** Text fields: the whole value must match (a RegExp source). */
  pattern: z.string().optional(),
  /**
   * URL fields: https only, no credentials, query or fragment, and through the outbound guard (no
   * private or metadata address). Always true today; a descriptor says so explicitly.
   */
  https: z.boolean().optional(),
  description: z.string().optional(),
});
export type FieldDescriptor = z.infer<typeof fieldSchema>;

/** How the secret travels: `Authorization: Basic user:secret`, `Bearer token`, or `token token`. */
const header = z.enum(['basic', 'bearer', 'token']);

const common = {
  header,
  /** The fields this mode asks for besides the provider's own (e.g. email + api_token). */
  fields: z.array(fieldSchema).default([]),
  /** Can be created by posting its fields to POST /api/v1/connections (OAuth goes through a consent flow). */
  pasted: z.boolean(),
  description: z.string().optional(),
};

const refreshRules = z.strictObject({
  /** Each refresh returns a new refresh token and invalidates the old one (Atlassian). */
  rotates: z.boolean(),
  /** How long a replaced refresh token still works (Atlassian: 10 minutes); 0 when never. */
  reuseLeewaySeconds: z.number().int().nonnegative(),
  /** Reusing a replaced refresh token after the leeway revokes the whole chain. */
  reuseRevokesChain: z.boolean(),
  /** Refresh this long before `expires_at`, so no call starts with a token about to lapse. */
  refreshBeforeExpirySeconds: z.number().int().positive(),
  /** The refresh token lapses after this many days unused (Atlassian: 90), or null. */
  idleLifetimeDays: z.number().int().positive().nullable(),
  /** And after this many days whatever happens (Atlassian: 365), or null. */
  absoluteLifetimeDays: z.number().int().positive().nullable(),
  /** Whether a refresh answer carries a refresh token (ServiceNow's refresh grant does not). */
  returnsRefreshToken: z.boolean(),
});

export const oauth2Schema = z.strictObject({
  kind: z.literal('oauth2'),
  ...common,
  authorizeUrl: configurableUrl.nullable(),
  tokenUrl: configurableUrl,
  /** Token endpoint body: Atlassian takes JSON, ServiceNow form only. */
  tokenRequest: z.enum(['json', 'form']),
  grants: z.array(z.enum(['authorization_code', 'refresh_token', 'password', 'client_credentials'])).min(1),
  scopes: z.strictObject({ setting: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(), default: z.array(z.string().min(1)), separator: z.string().default(' ') }),
  /** Always requested, whatever the configured scopes (`offline_access` for a refresh token). */
  requiredScopes: z.array(z.string().min(1)).default([]),
  audience: z.string().nullable(),
  pkce: z.enum(['S256', 'none']),
  /** Extra authorize parameters (`prompt=consent`). */
  authorizeParams: z.record(z.string(), z.string()).default({}),
  /** Where API calls go once authorized, when not the site itself (Atlassian's gateway). */
  apiBaseUrl: configurableUrl.nullable(),
  refresh: refreshRules,
  /** The redirect path on our side (seed 003: /oauth/servicenow). */
  redirectPath: z.string().startsWith('/'),
});

export const authModeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('api-token'), ...common }),
  z.strictObject({ kind: z.literal('pat'), ...common }),
  z.strictObject({ kind: z.literal('basic'), ...common }),
  oauth2Schema,
  z.strictObject({
    kind: z.literal('app-installation'),
    ...common,
    /** The app's JWT: RS256, at most ten minutes (GitHub refuses longer ones). */
    jwt: z.strictObject({ algorithm: z.literal('RS256'), maxTtlSeconds: z.number().int().positive().max(600) }),
    /** POST here (below the API URL) with the JWT for an installation token. */
    tokenPath: z.string().startsWith('/'),
    /** Installation tokens live this long (GitHub: one hour); renewed shortly before. */
    tokenLifetimeSeconds: z.number().int().positive(),
    refreshBeforeExpirySeconds: z.number().int().positive(),
  }),
]);
export type AuthModeDescriptor = z.infer<typeof authModeSchema>;
export type OAuth2Descriptor = z.infer<typeof oauth2Schema>;

export const webhookSchema = z.strictObject({
  signatureHeader: z.string().regex(/^[A-Za-z0-9-]+$/),
  algorithm: z.enum(['hmac-sha256', 'hmac-sha1', 'jwt']),
  /** Text before the digest (`sha256=`). */
  prefix: z.string().default(''),
  encoding: z.enum(['hex', 'base64']),
  /** Delivery id header, for de-duplicating retries. */
  deliveryIdHeader: z.string().nullable(),
});

export const rateLimitSchema = z.strictObject({
  /** Statuses that mean "slow down" (GitHub also uses 403 with remaining 0). */
  statuses: z.array(z.number().int().min(400).max(599)).min(1),
  retryAfter: z.string().nullable(),
  limit: z.string().nullable(),
  remaining: z.string().nullable(),
  reset: z.string().nullable(),
  resetFormat: z.enum(['epoch-seconds', 'iso-8601', 'none']),
});

/**
 * Which hosts a connection's secrets may go to: each listed URL field's host, with
 * `stripApiPrefix` also the host without a leading `api.` (api.github.com → github.com for git).
 * OAuth modes add their `apiBaseUrl` host.
 */
export const credentialHostsSchema = z.strictObject({
  fields: z.array(snake).min(1),
  stripApiPrefix: z.boolean().default(false),
});

export const providerDescriptorSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/),
    name: z.string().min(1),
    kind: z.enum(PROVIDER_KINDS),
    docsUrl: https.optional(),
    /** Fields every auth mode needs (site URL, API URL, table, …). */
    fields: z.array(fieldSchema),
    /** The first mode is the default when a request names none. */
    auth: z.array(authModeSchema).min(1),
    credentialHosts: credentialHostsSchema,
    webhook: webhookSchema.nullable(),
    rateLimit: rateLimitSchema,
  })
  .superRefine((descriptor, ctx) => {
    const kinds = descriptor.auth.map((mode) => mode.kind);
    if (new Set(kinds).size !== kinds.length) ctx.addIssue({ code: 'custom', message: 'an auth kind is listed twice', path: ['auth'] });
    const common = new Set(descriptor.fields.map((field) => field.name));
    if (common.size !== descriptor.fields.length) ctx.addIssue({ code: 'custom', message: 'a field is listed twice', path: ['fields'] });
    for (const [index, mode] of descriptor.auth.entries()) {
      for (const field of mode.fields) {
        if (common.has(field.name) || ['provider', 'name', 'user_id', 'auth_kind'].includes(field.name)) {
          ctx.addIssue({ code: 'custom', message: `field ${field.name} clashes with a common field`, path: ['auth', index, 'fields'] });
        }
      }
    }
    for (const field of descriptor.credentialHosts.fields) {
      const found = descriptor.fields.find((f) => f.name === field);
      if (!found || found.type !== 'url') ctx.addIssue({ code: 'custom', message: `credential host field ${field} is not a URL field`, path: ['credentialHosts'] });
    }
    for (const field of [...descriptor.fields, ...descriptor.auth.flatMap((mode) => mode.fields)]) {
      if (field.type === 'url' && field.https !== true) ctx.addIssue({ code: 'custom', message: `URL field ${field.name} must say https: true`, path: ['fields'] });
      if ((field.type === 'secret' || field.type === 'pem') && field.store !== 'secret') ctx.addIssue({ code: 'custom', message: `secret field ${field.name} must be stored sealed`, path: ['fields'] });
      if (field.pattern !== undefined) {
        try {
          new RegExp(field.pattern, 'u');
        } catch {
          ctx.addIssue({ code: 'custom', message: `field ${field.name} has an invalid pattern`, path: ['fields'] });
        }
      }
    }
  });

/** What a descriptor file writes (defaults not yet applied). */
export type ProviderDescriptorInput = z.input<typeof providerDescriptorSchema>;
/** A validated descriptor, defaults applied. */
export type ProviderDescriptor = z.output<typeof providerDescriptorSchema>;
