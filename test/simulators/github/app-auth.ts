/**
 * GitHub App authentication: an app with an id, a slug and an RSA key pair generated at start (the
 * private key handed out as GitHub's downloadable `.pem` is, PKCS#1 `BEGIN RSA PRIVATE KEY`), its
 * installations, the app JWT check and installation access tokens.
 *
 * JWT rules (RS256 only, verified with the app's public key using jose; the messages are GitHub's as
 * quoted in public issues): a token that is not a JWT signed by this app's key → 401 "A JSON web token
 * could not be decoded"; `iat` missing, not an integer or in the future (beyond a 60 s skew) → "'Issued
 * at' claim ('iat') must be an Integer representing the time that the assertion was issued"; `exp`
 * missing or not after now → "'Expiration time' claim ('exp') must be a numeric value representing the
 * future time at which the assertion expires"; `exp` more than 10 minutes after now or after `iat` →
 * "'Expiration time' claim ('exp') is too far in the future"; `iss` other than the app id (number or
 * string) or its client id → "A JSON web token could not be decoded" (wording for this case not found).
 * Installation tokens (`ghs_…`) expire one hour after they are created, on the simulator's clock.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { compactVerify, errors as joseErrors } from 'jose';
import { generateInstallationToken, type SimState, type SimUser, type TokenGrant } from './state.ts';

export const JWT_MAX_LIFETIME_SECONDS = 600;
const IAT_SKEW_SECONDS = 60;
export const INSTALLATION_TOKEN_TTL_MS = 3_600_000;

export const JWT_MESSAGES = {
  undecodable: 'A JSON web token could not be decoded',
  iat: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
  expired: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  tooFar: "'Expiration time' claim ('exp') is too far in the future",
} as const;

export interface InstallationRecord {
  id: number;
  /** The account (user or organization login) the app is installed on. */
  account: string;
  accountType: 'Organization' | 'User';
  /** `all` = every repository of the account; otherwise lower-case full names. */
  repositorySelection: 'all' | 'selected';
  repositories: string[];
  permissions: Record<string, string>;
  createdAt: string;
  suspended: boolean;
}

export interface AppRecord {
  id: number;
  slug: string;
  name: string;
  clientId: string;
  owner: string;
  publicKey: KeyObject;
  /** PKCS#1 PEM, as GitHub's "Generate a private key" download. */
  privateKeyPem: string;
  /** The same key as PKCS#8 PEM (what jose's importPKCS8 and WebCrypto want). */
  privateKeyPkcs8Pem: string;
  permissions: Record<string, string>;
  events: string[];
  installations: InstallationRecord[];
  bot: SimUser;
  createdAt: string;
}

export interface AppOptions {
  id?: number;
  slug?: string;
  name?: string;
  /** Installations created at start. Default: one on `acme` with every repository. */
  installations?: { id?: number; account: string; repositories?: string[] | 'all'; permissions?: Record<string, string> }[];
  permissions?: Record<string, string>;
}

const DEFAULT_PERMISSIONS = { contents: 'write', pull_requests: 'write', issues: 'write', metadata: 'read' };

export function createApp(options: AppOptions = {}): AppRecord {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const id = options.id ?? 987_654;
  const slug = options.slug ?? 'integration-service-sim';
  const permissions = options.permissions ?? DEFAULT_PERMISSIONS;
  const createdAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const installations = (options.installations ?? [{ account: 'acme' }]).map((spec, index) => ({
    id: spec.id ?? 45_000_000 + index,
    account: spec.account,
    accountType: 'Organization' as const,
    repositorySelection: !spec.repositories || spec.repositories === 'all' ? ('all' as const) : ('selected' as const),
    repositories: !spec.repositories || spec.repositories === 'all' ? [] : spec.repositories.map((r) => r.toLowerCase()),
    permissions: spec.permissions ?? permissions,
    createdAt,
    suspended: false,
  }));
  return {
    id,
    slug,
    name: options.name ?? 'Integration Service (simulator)',
    clientId: `Iv1.${Buffer.from(String(id)).toString('hex').padEnd(16, '0')}`,
    owner: 'acme',
    publicKey,
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    privateKeyPkcs8Pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    permissions,
    events: ['pull_request', 'push'],
    installations,
    bot: { login: `${slug}[bot]`, id: 49_000_000 + (id % 1_000_000), name: `${slug}[bot]`, email: `${id}+${slug}[bot]@users.noreply.github.com` },
    createdAt,
  };
}

export type JwtVerdict = { ok: true } | { ok: false; message: string };

/** Checks an app JWT the way GitHub does (signature first, then iat, exp, lifetime, issuer). */
export async function verifyAppJwt(app: AppRecord, jwt: string, nowMs: number): Promise<JwtVerdict> {
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jwt, app.publicKey, { algorithms: ['RS256'] }));
  } catch (error) {
    if (error instanceof joseErrors.JOSEError || error instanceof TypeError || error instanceof SyntaxError) return { ok: false, message: JWT_MESSAGES.undecodable };
    throw error;
  }
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
  } catch {
    return { ok: false, message: JWT_MESSAGES.undecodable };
  }
  if (!claims || typeof claims !== 'object') return { ok: false, message: JWT_MESSAGES.undecodable };
  const now = Math.floor(nowMs / 1000);
  const { iat, exp, iss } = claims;
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > now + IAT_SKEW_SECONDS) return { ok: false, message: JWT_MESSAGES.iat };
  if (typeof exp !== 'number' || exp <= now) return { ok: false, message: JWT_MESSAGES.expired };
  if (exp > now + JWT_MAX_LIFETIME_SECONDS || exp - iat > JWT_MAX_LIFETIME_SECONDS + IAT_SKEW_SECONDS) return { ok: false, message: JWT_MESSAGES.tooFar };
  if (String(iss) !== String(app.id) && iss !== app.clientId) return { ok: false, message: JWT_MESSAGES.undecodable };
  return { ok: true };
}

/** Repositories (lower-case full names) an installation reaches now. */
export function installationRepos(state: SimState, installation: InstallationRecord): string[] {
  if (installation.repositorySelection === 'selected') return installation.repositories.filter((name) => state.repos.has(name));
  return [...state.repos.values()].filter((r) => r.owner.toLowerCase() === installation.account.toLowerCase()).map((r) => r.fullName.toLowerCase());
}

export function mintInstallationToken(state: SimState, app: AppRecord, installation: InstallationRecord, repos: string[], permissions: Record<string, string>): TokenGrant {
  const grant: TokenGrant = {
    token: generateInstallationToken(),
    user: app.bot,
    write: permissions.contents === 'write',
    installation: { id: installation.id, appId: app.id, expiresAt: state.clock.now() + INSTALLATION_TOKEN_TTL_MS, permissions, repos: new Set(repos) },
  };
  state.tokens.set(grant.token, grant);
  return grant;
}
