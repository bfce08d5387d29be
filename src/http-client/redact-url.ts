/**
 * URLs for logs, errors and audit events: userinfo stripped and credential-bearing query
 * parameters masked, so a token passed in a URL never reaches a log line.
 */

export const SENSITIVE_QUERY_PARAMS: ReadonlySet<string> = new Set([
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'client_secret',
  'password',
  'key',
  'api_key',
  'apikey',
  'sig',
  'signature',
  'secret',
]);

const REDACTED = 'REDACTED';

export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    // Unparseable input could be anything, including a bare secret: show nothing of it.
    return '[invalid url]';
  }
  parsed.username = '';
  parsed.password = '';
  const names = [...new Set(parsed.searchParams.keys())];
  for (const name of names) {
    if (SENSITIVE_QUERY_PARAMS.has(name.toLowerCase())) {
      const count = parsed.searchParams.getAll(name).length;
      parsed.searchParams.delete(name);
      for (let i = 0; i < count; i++) parsed.searchParams.append(name, REDACTED);
    }
  }
  parsed.hash = '';
  return parsed.toString();
}
