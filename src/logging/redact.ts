/**
 * Redaction for anything that may reach a log line, an error message or an audit row: values under
 * sensitive keys at any depth, credentials inside URLs (userinfo, token-like query parameters),
 * `key=value` and `"key":"value"` pairs with a sensitive key inside free text, and well-known token
 * shapes (Bearer/Basic values, GitHub and Atlassian tokens, JWTs).
 *
 * Every function here is total: it never throws, never recurses without bound, and does work
 * linear in a bounded input on any value (strings are redacted up to MAX_TEXT_CHARS and cut there
 * with a marker; objects are walked up to MAX_DEPTH and MAX_NODES). No pattern can backtrack
 * catastrophically (each repetition is either anchored by a literal or bounded), no URL parser is
 * involved (an unparseable URL is just text), and a string with none of the trigger characters is
 * returned as it is after one scan. Database errors are logged with their statement's shape, never
 * with the query's parameter values.
 */
export const REDACTED = '[REDACTED]';
/** Longer strings are redacted up to here and cut with a marker (log lines are not a data store). */
export const MAX_TEXT_CHARS = 32 * 1024;
const MAX_DEPTH = 12;
/** Objects, arrays and strings visited by one redactDeep call; beyond it values become '[Truncated]'. */
const MAX_NODES = 10_000;
/** How much of a failed statement's SQL is logged. */
const MAX_STATEMENT_CHARS = 1000;

const sensitiveKey =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-hub-signature(-256)?|x-jira-signature|x-servicenow-signature|x-api-key|api-key|password|passwd|secret|client_secret|clientsecret|token|access_token|accesstoken|refresh_token|refreshtoken|id_token|api_token|apitoken|api_key|apikey|pat|github_pat|jira_pat|private_key|privatekey|encryption_keys?|jwt_secret(_key)?|webhook_secret|code_verifier|session)$/i;
const sensitiveKeySuffix = /(_token|_secret|_password|_pat|_key|-key|token|secret|password)$/i;
/** Query parameters that carry credentials in URLs (only in a URL's query or fragment: `code=1` in prose is an exit code). */
const sensitiveQueryParam = /^(code|state|key|sig|signature)$/i;

/** Keys that look sensitive but are metadata or identifiers, not secrets. */
const allowedKeys = new Set([
  'token_type',
  'tokenType',
  'secret_set',
  'has_secret',
  'key_id',
  'keyId',
  'idempotency_key',
  'issue_key',
  'project_key',
  'ticket_key',
]);

/** Verdicts on the keys seen so far: log lines use the same few dozen keys over and over. */
const keyVerdicts = new Map<string, boolean>();
const MAX_KEY_VERDICTS = 2000;

export function isSensitiveKey(key: string): boolean {
  const known = keyVerdicts.get(key);
  if (known !== undefined) return known;
  const verdict = !allowedKeys.has(key) && (sensitiveKey.test(key) || sensitiveKeySuffix.test(key));
  // Bounded: keys can come from data (a provider's field names), so past the cap they are judged afresh.
  if (keyVerdicts.size < MAX_KEY_VERDICTS && key.length <= 64) keyVerdicts.set(key, verdict);
  return verdict;
}

function isSensitiveParam(rawName: string, inUrl: boolean): boolean {
  let name = rawName;
  if (name.includes('%')) {
    try {
      name = decodeURIComponent(name);
    } catch {
      // A malformed escape: judge the name as written.
    }
  }
  return isSensitiveKey(name) || (inUrl && sensitiveQueryParam.test(name));
}

/**
 * One scan decides whether a string can hold anything to redact. Each alternative is the literal
 * start of one of the patterns below, so a string without any of them is returned unchanged.
 */
const trigger = /[=@]|"\s*:|bearer|basic|token|gh[pousr]_|github_pat_|atatt|eyj/i;

// Token shapes. Every repetition is followed by a character its class excludes (or by nothing), so
// a failed match gives up after one pass over the run it started on.
const authScheme = /\b(Bearer|Basic|token)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const githubToken = /\b(?:gh[pousr]_[A-Za-z0-9_]{20,}|github_pat_[A-Za-z0-9_]{20,})/g;
const atlassianToken = /\bATATT[A-Za-z0-9_=-]{20,}/g;
const jwt = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
/** `scheme://user:password@host` and `//token@host`: everything between `//` and `@` inside one authority. */
const userinfo = /\/\/[^\s/?#@"'<>\\]+@/g;
/**
 * `name=value` where name starts a word (or follows `?`, `&`, `#`, `;`): query strings, form bodies,
 * `password=…` in prose. The name is at most 64 characters and starts where no name character
 * precedes it, so each scan is bounded.
 */
const keyValue = /(?<![\w.%-])([\w.%-]{1,64})=([^&#\s"'<>]*)/g;
/** `"name": "value"` (JSON quoted inside text, e.g. a provider's error body); the closing quote is a lookahead. */
const jsonPair = /"([\w.%-]{1,64})"(\s*:\s*)"((?:[^"\\]|\\.)*)(?=")/g;
const jsonColon = /"\s*:/;

function truncate(value: string): string {
  if (value.length <= MAX_TEXT_CHARS) return value;
  // Cut before the word that straddles the limit, so no half of a token survives unredacted.
  let cut = MAX_TEXT_CHARS;
  const floor = MAX_TEXT_CHARS - 2048;
  while (cut > floor && !/[\s"'<>,;]/.test(value[cut - 1] as string)) cut -= 1;
  return `${value.slice(0, cut)}…[truncated ${value.length - cut} chars]`;
}

/** Masks every credential-shaped part of free text. Total: any string in, a string out. */
export function redactText(value: string): string {
  if (typeof value !== 'string') return '';
  let out = truncate(value);
  if (!trigger.test(out)) return out;
  try {
    if (out.includes('//')) out = out.replace(userinfo, `//${REDACTED}@`);
    out = out.replace(authScheme, `$1$2${REDACTED}`);
    out = out.replace(githubToken, REDACTED);
    out = out.replace(atlassianToken, REDACTED);
    out = out.replace(jwt, REDACTED);
    if (out.includes('=')) {
      out = out.replace(keyValue, (match: string, name: string, secret: string, offset: number, whole: string) => {
        if (secret === '' || secret === REDACTED) return match;
        const before = offset > 0 ? whole[offset - 1] : '';
        const inUrl = before === '?' || before === '&' || before === '#' || before === ';';
        return isSensitiveParam(name, inUrl) ? `${name}=${REDACTED}` : match;
      });
    }
    if (jsonColon.test(out)) {
      // The closing quote is left unconsumed, so a pair right after a malformed one is still seen.
      out = out.replace(jsonPair, (match: string, name: string, colon: string, secret: string) =>
        secret !== '' && secret !== REDACTED && isSensitiveParam(name, false) ? `"${name}"${colon}"${REDACTED}` : match,
      );
    }
    return out;
  } catch {
    // Not reachable with the patterns above (kept so that a log line can never take a request down).
    return '[Unredactable text]';
  }
}

/** A URL (absolute or a request path with a query): userinfo and credential parameters masked. Never throws. */
export function redactUrlString(value: string): string {
  return redactText(value);
}

interface Walk {
  nodes: number;
  /** Query parameter values of the database error being serialized: never written out. */
  withheld: readonly string[];
}

/** The SQL of a failed statement, shortened: its shape (parameters are `$n`), never its values. */
function statementShape(query: string): string {
  const flat = query.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_STATEMENT_CHARS ? `${flat.slice(0, MAX_STATEMENT_CHARS)}…` : flat;
}

function withholdValues(text: string, withheld: readonly string[]): string {
  let out = text;
  for (const value of withheld) if (out.includes(value)) out = out.split(value).join('[param]');
  return out;
}

function paramValues(params: unknown[]): string[] {
  const values: string[] = [];
  for (const param of params.slice(0, 200)) {
    let text: string | null = null;
    if (typeof param === 'string') text = param;
    else if (param !== null && typeof param === 'object' && !Buffer.isBuffer(param)) {
      try {
        text = JSON.stringify(param) ?? null;
      } catch {
        text = null;
      }
    }
    // Short values (a boolean, `ok`) would garble the message and identify nothing.
    if (text !== null && text.length >= 4) values.push(text.slice(0, 4096));
  }
  return values.sort((a, b) => b.length - a.length);
}

const dbErrorFields = ['constraint', 'table', 'column', 'routine', 'severity'] as const;

function serializeError(error: Error, depth: number, seen: WeakSet<object>, walk: Walk): Record<string, unknown> {
  const record = error as Error & { code?: unknown; cause?: unknown; query?: unknown; params?: unknown; errors?: unknown };
  const name = typeof record.name === 'string' ? record.name : 'Error';
  let message = typeof record.message === 'string' ? record.message : String(record.message);
  const originalMessage = message;
  let stack = typeof record.stack === 'string' ? record.stack : undefined;
  const out: Record<string, unknown> = { type: name };

  let outer = walk;
  const params = Array.isArray(record.params) ? record.params : null;
  const isStatementError = typeof record.query === 'string' && params !== null;
  if (isStatementError) {
    // drizzle's DrizzleQueryError says `Failed query: <sql>\nparams: <values>`; PGlite's errors carry
    // `query` and `params`. Keep the statement's shape and the number of values, never the values.
    outer = { nodes: walk.nodes, withheld: [...walk.withheld, ...paramValues(params)].sort((a, b) => b.length - a.length) };
    const cut = message.indexOf('\nparams: ');
    if (message.startsWith('Failed query: ')) message = `Failed query: ${statementShape(record.query as string)}`;
    else if (cut >= 0) message = message.slice(0, cut);
    if (cut >= 0 || message.startsWith('Failed query: ')) message = `${message}\nparams: [${params.length} values withheld]`;
    else out.statement = statementShape(record.query as string);
  }
  if (outer.withheld.length > 0) message = withholdValues(message, outer.withheld);
  out.message = redactText(message);
  if (record.code !== undefined && (typeof record.code === 'string' || typeof record.code === 'number')) out.code = record.code;
  for (const field of dbErrorFields) {
    const value = (record as unknown as Record<string, unknown>)[field];
    if (typeof value === 'string' && value !== '') out[field] = redactText(value);
  }
  if (stack !== undefined) {
    if (message !== originalMessage) {
      // The stack starts with `Name: message`; rebuild that head from the cleaned message.
      const head = `${name}: ${originalMessage}`;
      const at = stack.startsWith(head) ? head.length : stack.indexOf(originalMessage) >= 0 ? stack.indexOf(originalMessage) + originalMessage.length : -1;
      stack = at >= 0 ? `${name}: ${message}${stack.slice(at)}` : undefined;
    }
    if (stack !== undefined) {
      if (outer.withheld.length > 0) stack = withholdValues(stack, outer.withheld);
      out.stack = redactText(stack);
    }
  }
  if (record.cause !== undefined) out.cause = walkValue(record.cause, depth + 1, seen, outer);
  if (Array.isArray(record.errors)) out.errors = walkValue(record.errors, depth + 1, seen, outer);
  walk.nodes = outer.nodes;
  return out;
}

const TRUNCATED = '[Truncated]';

function walkValue(value: unknown, depth: number, seen: WeakSet<object>, walk: Walk): unknown {
  if (typeof value === 'string') {
    walk.nodes += 1;
    if (walk.nodes > MAX_NODES) return TRUNCATED;
    return redactText(walk.withheld.length > 0 ? withholdValues(value, walk.withheld) : value);
  }
  if (value === null || typeof value !== 'object') return value;
  walk.nodes += 1;
  if (depth > MAX_DEPTH || walk.nodes > MAX_NODES || seen.has(value)) return TRUNCATED;
  try {
    if (Buffer.isBuffer(value)) return `[Buffer ${value.length} bytes]`;
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (value instanceof URL) return redactText(value.href);
    seen.add(value);
    try {
      if (value instanceof Error) return serializeError(value, depth, seen, walk);
      if (Array.isArray(value)) {
        let out: unknown[] | null = null;
        const length = value.length;
        for (let index = 0; index < length; index += 1) {
          if (walk.nodes >= MAX_NODES) {
            out ??= value.slice(0, index);
            out.length = index;
            out.push(`[Truncated ${length - index} items]`);
            return out;
          }
          const item = value[index];
          const redacted = walkValue(item, depth + 1, seen, walk);
          if (out) out.push(redacted);
          else if (redacted !== item) {
            out = value.slice(0, index);
            out.push(redacted);
          }
        }
        return out ?? value;
      }
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        seen.delete(value);
        return walkValue(toJSON.call(value), depth + 1, seen, walk);
      }
      // Copy on write: an object with nothing to redact is passed on as it is.
      let out: Record<string, unknown> | null = null;
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) out = {};
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        if (walk.nodes >= MAX_NODES) {
          out ??= { ...copyUntil(value as Record<string, unknown>, key) };
          out[key] = TRUNCATED;
          break;
        }
        const item = (value as Record<string, unknown>)[key];
        const redacted = isSensitiveKey(key) && item !== null && item !== undefined && item !== '' ? REDACTED : walkValue(item, depth + 1, seen, walk);
        if (out) out[key] = redacted;
        else if (redacted !== item) {
          out = copyUntil(value as Record<string, unknown>, key);
          out[key] = redacted;
        }
      }
      return out ?? value;
    } finally {
      seen.delete(value);
    }
  } catch {
    // A throwing getter, toJSON or proxy trap.
    return '[Unreadable]';
  }
}

/** The own enumerable entries of `source` before `stop`, as a plain object. */
function copyUntil(source: Record<string, unknown>, stop: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in source) {
    if (key === stop) break;
    if (Object.hasOwn(source, key)) out[key] = source[key];
  }
  return out;
}

/**
 * Redacts any value. Objects, arrays and errors come back as plain JSON-able values; an object or
 * array with nothing to redact comes back as the same reference (no copy). A cycle, depth beyond
 * MAX_DEPTH or more than MAX_NODES values are cut with '[Truncated]'; an object referenced twice
 * (not a cycle) is written out both times. Never throws.
 */
export function redactDeep(value: unknown): unknown {
  // What walkValue does with a lone string or primitive, without the walk's state.
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  return walkValue(value, 0, new WeakSet(), { nodes: 0, withheld: [] });
}
