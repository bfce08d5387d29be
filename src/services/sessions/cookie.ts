/**
 * The web UI's session cookie: `is_session=<43 base64url characters>`, HttpOnly, SameSite=Lax,
 * Path=/, Secure when the request came over HTTPS (directly, or through a proxy TRUST_PROXY
 * believes). Parsed and written by hand: one cookie, no signing (the value is a random id whose
 * hash is looked up server-side).
 */
export const SESSION_COOKIE = 'is_session';

const sessionValue = /^[A-Za-z0-9_-]{43}$/;

/** The session id from a Cookie header, or null (absent or not shaped like one of ours). */
export function sessionIdFromCookieHeader(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (sessionValue.test(value)) return value;
  }
  return null;
}

export function sessionCookie(id: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  return [`${SESSION_COOKIE}=${id}`, `Max-Age=${options.maxAgeSeconds}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', ...(options.secure ? ['Secure'] : [])].join('; ');
}

export function clearedSessionCookie(options: { secure: boolean }): string {
  return [`${SESSION_COOKIE}=`, 'Max-Age=0', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'Path=/', 'HttpOnly', 'SameSite=Lax', ...(options.secure ? ['Secure'] : [])].join(
    '; ',
  );
}
