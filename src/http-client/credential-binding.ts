/**
 * Host binding for stored credentials: the one place that makes sure a secret opened from a stored
 * connection is only ever sent to that connection's own hosts. Whoever opens a stored secret binds
 * it (`bindCredential`), and the outbound client checks the credential in every request's
 * `Authorization` header (Bearer, token or Basic) against the bindings before each hop: a bound
 * secret on its way to any other host is refused before a byte is sent, whichever code path built
 * the request. Unbound secrets (credentials the caller sent with the request) pass; they belong to
 * the caller, who decides where they go.
 *
 * Secrets are held here only as SHA-256 digests, never in plain text.
 */
import { createHash } from 'node:crypto';
import { refused } from './errors.ts';

/** Far above any real number of stored secrets; beyond it the oldest bindings are dropped first. */
const MAX_BINDINGS = 50_000;

const bindings = new Map<string, Set<string>>();

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64');
}

/** The host (name and non-default port, lower case) a URL sends to; null when it does not parse. */
export function hostOf(url: string | URL): string | null {
  try {
    return new URL(String(url)).host.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Binds a stored secret to the hosts it may be sent to. Binding the same secret again adds hosts
 * (the same token stored on two connections may go to either's hosts).
 */
export function bindCredential(secret: string, hosts: Iterable<string>): void {
  if (secret.length === 0) return;
  const key = digest(secret);
  const known = bindings.get(key);
  const set = known ?? new Set<string>();
  for (const host of hosts) if (host) set.add(host.toLowerCase());
  if (known) {
    // Most recently used last, so the cap drops the ones unused the longest.
    bindings.delete(key);
  } else if (bindings.size >= MAX_BINDINGS) {
    const oldest = bindings.keys().next().value;
    if (oldest !== undefined) bindings.delete(oldest);
  }
  bindings.set(key, set);
}

/** The hosts a secret is bound to, or null when it is not a bound (stored) secret. */
export function boundHosts(secret: string): ReadonlySet<string> | null {
  return bindings.get(digest(secret)) ?? null;
}

/** The secrets an Authorization header value carries: the token after the scheme, and a Basic password. */
export function credentialsInAuthorization(value: string): string[] {
  const space = value.indexOf(' ');
  if (space < 0) return value ? [value] : [];
  const scheme = value.slice(0, space).toLowerCase();
  const rest = value.slice(space + 1).trim();
  if (scheme !== 'basic') return rest ? [rest] : [];
  const decoded = Buffer.from(rest, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? [rest, decoded.slice(colon + 1)] : [rest];
}

/**
 * Throws OUTBOUND_URL_REFUSED when the request's Authorization header carries a bound secret and
 * `url`'s host is not one of its hosts.
 */
export function checkCredentialHost(headers: Record<string, string>, url: string | URL): void {
  const authorization = headers.authorization;
  if (!authorization || bindings.size === 0) return;
  const host = hostOf(url);
  for (const secret of credentialsInAuthorization(authorization)) {
    const hosts = boundHosts(secret);
    if (hosts && (!host || !hosts.has(host))) {
      throw refused(`a stored connection's credential may only be sent to its own host (${[...hosts].join(', ')}), not to ${host ?? 'this URL'}`);
    }
  }
}
