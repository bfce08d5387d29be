/**
 * The provider registry: one line per provider (its descriptor and what its folder implements),
 * every descriptor validated against ./descriptor/schema.ts when this module loads, so a malformed
 * descriptor stops the service at start with the provider and path named. Connection create, test
 * and list, and the POST /api/v1/connections body schema, are derived from here: adding a provider
 * is one folder and one line below.
 */
import { z } from 'zod';
import { identifier, secret } from '../contracts/index.ts';
import { testConfluenceConnection } from './confluence/connection.ts';
import { confluenceDescriptor } from './confluence/descriptor.ts';
import type { TestConnection } from './descriptor/connection.ts';
import { type AuthKind, type AuthModeDescriptor, type FieldDescriptor, type ProviderDescriptor, type ProviderDescriptorInput, providerDescriptorSchema } from './descriptor/schema.ts';
import type { CodeHostFailure, CodeHostProvider, ParsedRepoUrl } from './code-host/types.ts';
import { githubCodeHost } from './github/code-host.ts';
import { testGitHubConnection } from './github/connection.ts';
import { githubDescriptor } from './github/descriptor.ts';
import { jiraConnectionTest } from './jira/connection.ts';
import { jiraCloudDescriptor, jiraServerDescriptor } from './jira/descriptor.ts';
import { jiraTicketing } from './jira/ticketing.ts';
import { testServiceNowConnection } from './servicenow/connection.ts';
import { servicenowDescriptor } from './servicenow/descriptor.ts';
import { servicenowTicketing } from './servicenow/ticketing.ts';
import type { TicketingProvider } from './ticketing/types.ts';
import type { Credential } from './credentials/index.ts';

export interface ProviderEntry {
  descriptor: ProviderDescriptor;
  /** Absent while the provider is described but not built yet: its connections cannot be created. */
  testConnection?: TestConnection;
  /** Code hosts: the implementation of src/providers/code-host. */
  codeHost?: CodeHostProvider;
  /** Ticketing providers: the implementation of src/providers/ticketing. */
  ticketing?: TicketingProvider;
}

/**
 * Auth kinds whose credential comes from pasted fields (OAuth needs a consent first). A GitHub App's
 * pasted key buys its installation tokens through the app-installation refresher.
 */
const PASTED_KINDS: ReadonlySet<AuthKind> = new Set(['api-token', 'pat', 'basic', 'app-installation']);

const lines: { descriptor: ProviderDescriptorInput; testConnection?: TestConnection; codeHost?: CodeHostProvider; ticketing?: TicketingProvider }[] = [
  { descriptor: jiraCloudDescriptor, testConnection: jiraConnectionTest('cloud'), ticketing: jiraTicketing('cloud') },
  { descriptor: jiraServerDescriptor, testConnection: jiraConnectionTest('server'), ticketing: jiraTicketing('server') },
  { descriptor: githubDescriptor, testConnection: testGitHubConnection, codeHost: githubCodeHost },
  { descriptor: servicenowDescriptor, testConnection: testServiceNowConnection, ticketing: servicenowTicketing },
  { descriptor: confluenceDescriptor, testConnection: testConfluenceConnection },
];

/** Validates every line; throws naming the provider and the path of each problem. */
export function buildRegistry(input: typeof lines): ReadonlyMap<string, ProviderEntry> {
  const entries = new Map<string, ProviderEntry>();
  for (const line of input) {
    const parsed = providerDescriptorSchema.safeParse(line.descriptor);
    const id = (line.descriptor as { id?: unknown }).id;
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
      throw new Error(`provider descriptor ${String(id)} is invalid: ${problems}`);
    }
    if (entries.has(parsed.data.id)) throw new Error(`provider ${parsed.data.id} is registered twice`);
    if ((parsed.data.kind === 'code-host') !== (line.codeHost !== undefined)) throw new Error(`provider ${parsed.data.id}: a code host, and only a code host, registers a codeHost implementation`);
    entries.set(parsed.data.id, {
      descriptor: parsed.data,
      ...(line.testConnection ? { testConnection: line.testConnection } : {}),
      ...(line.codeHost ? { codeHost: line.codeHost } : {}),
      ...(line.ticketing ? { ticketing: line.ticketing } : {}),
    });
  }
  return entries;
}

export const providerRegistry: ReadonlyMap<string, ProviderEntry> = buildRegistry(lines);

export function providerEntry(id: string): ProviderEntry | null {
  return providerRegistry.get(id) ?? null;
}

export function authModeOf(provider: string, kind: string): AuthModeDescriptor | null {
  return providerEntry(provider)?.descriptor.auth.find((mode) => mode.kind === kind) ?? null;
}

/** The modes a connection can be created with by posting fields: built providers, pasted kinds. */
export function pastedModes(entry: ProviderEntry): AuthModeDescriptor[] {
  if (!entry.testConnection) return [];
  return entry.descriptor.auth.filter((mode) => mode.pasted && PASTED_KINDS.has(mode.kind));
}

/** The providers a connection can be created for, in registry order. */
export function creatableProviders(): ProviderEntry[] {
  return [...providerRegistry.values()].filter((entry) => pastedModes(entry).length > 0);
}

/** The provider ids of one kind (ticketing, code-host, wiki). */
export function providersOfKind(kind: ProviderDescriptor['kind']): string[] {
  return [...providerRegistry.values()].filter((entry) => entry.descriptor.kind === kind).map((entry) => entry.descriptor.id);
}

/**
 * The code host serving a repository URL: the first registered one that parses it (GitHub last
 * would be the catch-all, as any host may be a GitHub Enterprise Server). Throws the last host's
 * coded error when none does.
 */
export function codeHostFor(repoUrl: string): { provider: string; host: CodeHostProvider; repo: ParsedRepoUrl } {
  let failure: unknown = new Error('no code host is registered');
  for (const entry of providerRegistry.values()) {
    if (!entry.codeHost) continue;
    try {
      return { provider: entry.descriptor.id, host: entry.codeHost, repo: entry.codeHost.parseRepoUrl(repoUrl) };
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}

/** What a code host's error means to the PR engine, or null when no code host owns it. */
export function codeHostFailureOf(error: unknown): CodeHostFailure | null {
  for (const entry of providerRegistry.values()) {
    const failure = entry.codeHost?.failureOf(error);
    if (failure) return failure;
  }
  return null;
}

/** The ticketing implementation of a provider, or null when it has none (yet). */
export function ticketingFor(provider: string): TicketingProvider | null {
  return providerEntry(provider)?.ticketing ?? null;
}

/** The providers whose tickets the services can file (ticketing kind, implementation registered). */
export function ticketingProviders(): string[] {
  return [...providerRegistry.values()].filter((entry) => entry.ticketing).map((entry) => entry.descriptor.id);
}

/**
 * Seeds 000/001 send a site URL, an optional account and a token with the request: the first
 * ticketing provider that claims the site, with the credential it would use; null when none does.
 */
export function ticketingForRequest(input: { siteUrl: string; account: string | null; token: string }): { provider: string; credential: Credential } | null {
  for (const entry of providerRegistry.values()) {
    const credential = entry.ticketing?.requestCredential?.(input) ?? null;
    if (credential) return { provider: entry.descriptor.id, credential };
  }
  return null;
}

/** Resolves a configurable URL: the setting's value when set, else the default; `{name}` from `vars`. */
export function resolveUrl(url: { setting: string; default: string; path: string }, settings: Readonly<Record<string, string | undefined>>, vars: Readonly<Record<string, string>> = {}): string {
  const base = (settings[url.setting] ?? url.default).replace(/\/+$/, '');
  return `${base}${url.path}`.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (name in vars ? encodeURIComponent(vars[name]!) : whole));
}

function fieldSchema(field: FieldDescriptor): z.ZodType {
  let schema: z.ZodType;
  switch (field.type) {
    case 'url':
      schema = identifier(field.maxLength);
      break;
    case 'email':
      schema = z.email().max(field.maxLength);
      break;
    case 'text':
      schema = field.pattern ? identifier(field.maxLength).regex(new RegExp(`^(?:${field.pattern})$`, 'u'), `must match ${field.pattern}`) : identifier(field.maxLength);
      break;
    case 'secret':
      schema = secret(field.maxLength);
      break;
    case 'pem':
      schema = z.string().max(field.maxLength).regex(/^-----BEGIN [A-Z ]+-----[\s\S]+-----END [A-Z ]+-----\s*$/, 'must be a PEM block');
      break;
  }
  if (field.description) schema = schema.describe(field.description);
  return field.required ? schema : schema.optional();
}

const name = identifier(200);
const userId = identifier(200).nullable().optional().describe("Set to make this the user's own connection (seed 002)");

/**
 * The POST /api/v1/connections body: one object per provider and pasted auth mode, told apart by
 * `provider` and then `auth_kind` (which may be left out for the provider's first mode, so the
 * bodies of ../shared/SPEC.md §3 carry none).
 */
export function connectionInputSchema(entries: ProviderEntry[] = creatableProviders()) {
  const perProvider = entries.map((entry) => {
    const modes = pastedModes(entry);
    const objects = modes.map((mode, index) => {
      const shape: Record<string, z.ZodType> = {
        provider: z.literal(entry.descriptor.id),
        auth_kind: index === 0 ? z.literal(mode.kind).optional() : z.literal(mode.kind),
        name,
        user_id: userId,
      };
      for (const field of [...entry.descriptor.fields, ...mode.fields]) shape[field.name] = fieldSchema(field);
      return z.object(shape);
    });
    return objects.length === 1 ? objects[0]! : z.discriminatedUnion('auth_kind', objects as [z.ZodObject, z.ZodObject, ...z.ZodObject[]]);
  });
  return z.discriminatedUnion('provider', perProvider as unknown as [z.ZodObject, ...z.ZodObject[]]);
}

/** A connection body as the service receives it (validated by connectionInputSchema). */
export interface ConnectionInput {
  provider: string;
  auth_kind?: string | undefined;
  name: string;
  user_id?: string | null | undefined;
  [field: string]: unknown;
}

export type { AuthKind, AuthModeDescriptor, FieldDescriptor, ProviderDescriptor } from './descriptor/schema.ts';
export type * from './code-host/types.ts';
export type * from './ticketing/types.ts';
export type { ConnectionTarget, ConnectionTestResult, ProviderDeps, TestConnection } from './descriptor/connection.ts';
