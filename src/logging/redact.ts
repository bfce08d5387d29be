/**
 * Deep redaction for anything that may reach a log line or an error message: values under
 * sensitive keys at any depth, credentials inside URLs (userinfo, token-like query parameters),
 * and well-known token shapes inside free text (Bearer/Basic values, GitHub and Atlassian tokens).
 */
export const REDACTED = '[REDACTED]';

const sensitiveKey =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-hub-signature(-256)?|x-jira-signature|x-servicenow-signature|password|passwd|secret|client_secret|clientsecret|token|access_token|accesstoken|refresh_token|refreshtoken|id_token|api_token|apitoken|api_key|apikey|pat|github_pat|jira_pat|private_key|privatekey|encryption_keys?|jwt_secret(_key)?|webhook_secret|code_verifier|session)$/i;
const sensitiveKeySuffix = /(_token|_secret|_password|_pat|_key|token|secret|password)$/i;
const sensitiveQueryParam =
  /^(token|access_token|refresh_token|id_token|code|client_secret|password|key|api_key|apikey|sig|signature|secret|state)$/i;

const textPatterns: [RegExp, string][] = [
  [/\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  [/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g, REDACTED],
  [/\bATATT[A-Za-z0-9_=-]{20,}\b/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\b/g, REDACTED],
  [/(\/\/)[^/\s:@]+:[^/\s@]+@/g, `$1${REDACTED}@`],
];

/** Keys that look sensitive but are metadata, not secrets. */
const allowedKeys = new Set(['token_type', 'tokenType', 'secret_set', 'has_secret', 'key_id', 'keyId', 'idempotency_key']);

export function isSensitiveKey(key: string): boolean {
  if (allowedKeys.has(key)) return false;
  return sensitiveKey.test(key) || sensitiveKeySuffix.test(key);
}

export function redactUrlString(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return redactText(value);
  }
  if (url.username || url.password) {
    url.username = REDACTED;
    url.password = '';
  }
  for (const name of [...url.searchParams.keys()]) {
    if (sensitiveQueryParam.test(name)) url.searchParams.set(name, REDACTED);
  }
  return url.toString();
}

/** URLs inside free text: absolute ones, and request paths with a query (`/callback?code=…`). */
const embeddedUrl = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+|(?<![\w/])\/[^\s"'<>?]*\?[^\s"'<>]+/gi;
const RELATIVE_BASE = 'http://relative.invalid';

function redactRelativeUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value, RELATIVE_BASE);
  } catch {
    return value;
  }
  let changed = false;
  for (const name of [...url.searchParams.keys()]) {
    if (sensitiveQueryParam.test(name)) {
      url.searchParams.set(name, REDACTED);
      changed = true;
    }
  }
  return changed ? `${url.pathname}${url.search}${url.hash}` : value;
}

export function redactText(value: string): string {
  let out = value.replace(embeddedUrl, (match) => (match.startsWith('/') ? redactRelativeUrl(match) : redactUrlString(match)));
  for (const [pattern, replacement] of textPatterns) out = out.replace(pattern, replacement);
  return out;
}

function redactString(value: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? redactUrlString(value) : redactText(value);
}

/**
 * `seen` holds the objects on the current path only, so a cycle is cut but an object referenced
 * twice (not a cycle) is written out both times.
 */
export function redactDeep(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 12 || seen.has(value)) return '[Truncated]';
  if (Buffer.isBuffer(value)) return `[Buffer ${value.length} bytes]`;
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1, seen));
    if (value instanceof Error) {
      const cause = (value as { cause?: unknown }).cause;
      return {
        type: value.name,
        message: redactText(value.message),
        code: (value as { code?: unknown }).code,
        ...(value.stack ? { stack: redactText(value.stack) } : {}),
        ...(cause !== undefined ? { cause: redactDeep(cause, depth + 1, seen) } : {}),
      };
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = isSensitiveKey(key) && item !== null && item !== undefined && item !== '' ? REDACTED : redactDeep(item, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
