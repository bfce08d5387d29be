/**
 * Keeps the exact bytes of a JSON request body on `request.rawBody`, next to the parsed body, so a
 * webhook signature (an HMAC over what the sender sent) can be checked: re-serializing the parsed
 * body would not give the same bytes back. Register it inside the encapsulated plugin of the
 * webhook routes only: there it replaces the JSON parser, optionally reads JSON from a form field,
 * refuses every other content type (415) and sets the body limit; every other route keeps the
 * default parsers, their limit, and no copy of its bytes.
 *
 *   app.register(async (webhooks) => {
 *     await webhooks.register(rawBody, { bodyLimit: 1_048_576 });
 *     webhooks.post('/webhooks/github', …); // request.rawBody: Buffer, request.body: parsed JSON
 *   });
 */
import type { FastifyPluginCallback } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors/app-error.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body's bytes as received; set only on routes of a scope that registered rawBody. */
    rawBody?: Buffer;
    /** The JSON text that was parsed: the bytes decoded as UTF-8 (with a byte order mark, if sent), or a form body's JSON field. */
    rawText?: string;
    /** That JSON as bytes: `rawBody` itself for a JSON body, the JSON field's value for a form body. */
    jsonBytes?: Buffer;
  }
}

export interface RawBodyOptions {
  /** Largest accepted body in bytes for the scope's routes (larger gets 413), unless a route sets its own. */
  bodyLimit: number;
  /**
   * Also take `application/x-www-form-urlencoded` bodies that carry the JSON in this field (GitHub's
   * "form" webhook content type: `payload=<url-encoded JSON>`); `rawBody` stays the form's bytes, which
   * is what the sender signed. A form without the field is answered 400.
   */
  formJsonField?: string;
}

const rawBodyPlugin: FastifyPluginCallback<RawBodyOptions> = (scope, options, done) => {
  if (!Number.isSafeInteger(options.bodyLimit) || options.bodyLimit <= 0) {
    done(new TypeError('rawBody: bodyLimit must be a positive integer'));
    return;
  }
  // Fastify's own JSON parser, with its prototype-poisoning protection, over the kept bytes.
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  // The limit becomes each route's own, so the 413 message names the limit that applied.
  scope.addHook('onRoute', (route) => {
    route.bodyLimit ??= options.bodyLimit;
  });
  // JSON only (or JSON in a form field): a body of any other type (Fastify's text/plain parser
  // included) is answered 415, so every handler of the scope holds a parsed JSON body and the very
  // bytes it was parsed from.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (request, body, parsed) => {
    const bytes = body as Buffer;
    const text = bytes.toString('utf8');
    request.rawBody = bytes;
    request.rawText = text;
    request.jsonBytes = bytes;
    parseJson(request, text, parsed);
  });
  const field = options.formJsonField;
  if (field !== undefined) {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (request, body, parsed) => {
      const bytes = body as Buffer;
      const text = new URLSearchParams(bytes.toString('utf8')).get(field);
      if (text === null) {
        parsed(new AppError('VALIDATION_FAILED', `a form body must carry its JSON in the "${field}" field`, { field: `body.${field}` }), undefined);
        return;
      }
      request.rawBody = bytes;
      request.rawText = text;
      request.jsonBytes = Buffer.from(text, 'utf8');
      parseJson(request, text, parsed);
    });
  }
  done();
};

/** Encapsulation is skipped (fastify-plugin) so the parser applies to the scope that registers it. */
export const rawBody = fp(rawBodyPlugin, { name: 'raw-body', fastify: '5.x' });
