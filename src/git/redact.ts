/**
 * Scrubs git's output before it reaches a log line or an error message: the token itself, the
 * Basic credential built from it, any Authorization header, and anything else token-shaped.
 */
import { redactText } from '../logging/redact.ts';

export function basicCredential(token: string): string {
  return Buffer.from(`x-access-token:${token}`).toString('base64');
}

export function redactGitOutput(text: string, token: string): string {
  let out = text;
  for (const secret of [token, basicCredential(token), encodeURIComponent(token)]) {
    if (secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  }
  out = out.replace(/(authorization:\s*)[^\r\n]*/gi, '$1[REDACTED]');
  return redactText(out);
}

/** The last lines of git's stderr, scrubbed and short enough for an error message. */
export function gitSaid(stderr: string, token: string, max = 400): string {
  const clean = redactGitOutput(stderr, token)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^(hint|remote: (Counting|Compressing|Total|Enumerating))/i.test(line))
    .join(' | ');
  return clean.length > max ? `…${clean.slice(clean.length - max)}` : clean;
}
