/**
 * Webhook signatures: an HMAC over the exact bytes received, compared in constant time
 * (crypto.timingSafeEqual on equal-length buffers; a length mismatch is a plain refusal, it leaks
 * nothing but the length of a well-known digest). Each provider's header forms:
 *
 * - Jira Cloud admin webhooks: `X-Hub-Signature: sha256=<hex>`; seed 003: `X-Jira-Signature: <hex>`.
 * - ServiceNow (a Business Rule we document): header name, algorithm and encoding from the endpoint
 *   (default `X-ServiceNow-Signature`, HMAC-SHA256, hex); a `sha256=` prefix is tolerated.
 * - GitHub: `X-Hub-Signature-256: sha256=<hex>`.
 *
 * Every secret given (current and, inside the rotation overlap, the previous one) is tried.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import { type WebhookProvider, webhookProviders } from '../../contracts/webhooks.ts';

export { type WebhookProvider, webhookProviders };

export const signatureAlgorithms = ['hmac-sha256', 'hmac-sha1', 'hmac-sha512'] as const;
export type SignatureAlgorithm = (typeof signatureAlgorithms)[number];
export const signatureEncodings = ['hex', 'base64'] as const;
export type SignatureEncoding = (typeof signatureEncodings)[number];

export interface SignatureScheme {
  /** Lower-case header name. */
  header: string;
  algorithm: SignatureAlgorithm;
  encoding: SignatureEncoding;
  /** The value must start with this prefix (`sha256=`); null = a bare digest (a matching prefix is tolerated). */
  prefix: string | null;
}

/** The header forms accepted for a provider, in the order they are looked for. */
export function schemesFor(provider: WebhookProvider, endpoint: { signatureHeader: string; algorithm: string; signatureEncoding: string }): SignatureScheme[] {
  switch (provider) {
    case 'jira':
      return [
        { header: 'x-hub-signature', algorithm: 'hmac-sha256', encoding: 'hex', prefix: 'sha256=' },
        { header: 'x-jira-signature', algorithm: 'hmac-sha256', encoding: 'hex', prefix: null },
      ];
    case 'github':
      return [{ header: 'x-hub-signature-256', algorithm: 'hmac-sha256', encoding: 'hex', prefix: 'sha256=' }];
    case 'servicenow':
      return [
        {
          header: endpoint.signatureHeader.toLowerCase(),
          algorithm: (signatureAlgorithms as readonly string[]).includes(endpoint.algorithm) ? (endpoint.algorithm as SignatureAlgorithm) : 'hmac-sha256',
          encoding: endpoint.signatureEncoding === 'base64' ? 'base64' : 'hex',
          prefix: null,
        },
      ];
  }
}

/** The default signature header an endpoint of this provider is created with. */
export function defaultSignatureHeader(provider: WebhookProvider): string {
  switch (provider) {
    case 'jira':
      return 'X-Hub-Signature';
    case 'github':
      return 'X-Hub-Signature-256';
    case 'servicenow':
      return 'X-ServiceNow-Signature';
  }
}

const hashOf = (algorithm: SignatureAlgorithm) => algorithm.slice('hmac-'.length);

export function sign(secret: string, body: Buffer | string, algorithm: SignatureAlgorithm = 'hmac-sha256', encoding: SignatureEncoding = 'hex'): string {
  return createHmac(hashOf(algorithm), secret).update(body).digest(encoding);
}

function decode(text: string, encoding: SignatureEncoding): Buffer | null {
  if (encoding === 'hex') return /^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0 ? Buffer.from(text, 'hex') : null;
  return /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : null;
}

export type SignatureCheck = { valid: true; header: string; secretIndex: number } | { valid: false; reason: string };

/**
 * Checks the request's signature headers against the secrets. The first scheme whose header is
 * present decides (a request carrying a wrong `X-Hub-Signature` is not rescued by another header).
 */
export function verifySignature(schemes: SignatureScheme[], headers: Record<string, string | string[] | undefined>, body: Buffer, secrets: string[]): SignatureCheck {
  for (const scheme of schemes) {
    const raw = headers[scheme.header];
    if (raw === undefined) continue;
    const value = (Array.isArray(raw) ? raw[0] ?? '' : raw).trim();
    let digestText = value;
    if (scheme.prefix !== null) {
      if (!value.toLowerCase().startsWith(scheme.prefix)) return { valid: false, reason: `${scheme.header} must be "${scheme.prefix}<digest>"` };
      digestText = value.slice(scheme.prefix.length);
    } else {
      const tolerated = `${hashOf(scheme.algorithm)}=`;
      if (value.toLowerCase().startsWith(tolerated)) digestText = value.slice(tolerated.length);
    }
    const given = decode(digestText, scheme.encoding);
    if (!given) return { valid: false, reason: `${scheme.header} is not a ${scheme.encoding} digest` };
    for (const [index, secret] of secrets.entries()) {
      const expected = createHmac(hashOf(scheme.algorithm), secret).update(body).digest();
      if (given.length === expected.length && timingSafeEqual(given, expected)) return { valid: true, header: scheme.header, secretIndex: index };
    }
    return { valid: false, reason: `${scheme.header} does not match the body` };
  }
  return { valid: false, reason: `missing signature header (${schemes.map((scheme) => scheme.header).join(' or ')})` };
}
