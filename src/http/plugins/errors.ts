/**
 * The one error handler: every failure leaves as `{"error":{"code","message","field"?}}` with the
 * status from the catalogue. Validation errors name the first offending field; 5xx messages are
 * generic (details stay in the log under the request id). Logging here can never turn into a second
 * failure (logSafely), and if answering fails anyway the catalogue's 500 still goes out.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { CodedError, errorBody, retryAfterHeaders } from '../../errors/app-error.ts';
import { errorCatalogue, type PublicErrorCode, publicCode } from '../../errors/catalogue.ts';
import { logSafely } from '../../logging/logger.ts';

function fieldPath(instancePath: string | undefined, context: string | undefined): string | undefined {
  const segments = (instancePath ?? '').split('/').filter(Boolean);
  const base = context && context !== 'body' ? [context === 'querystring' ? 'query' : context] : [];
  const joined = [...base, ...segments].join('.');
  return joined.length > 0 ? joined : undefined;
}

/**
 * A schema refinement may name its own documented 400 code (src/contracts: `params.errorCode`, e.g.
 * BRANCH_NAME_INVALID); anything else is VALIDATION_FAILED.
 */
function issueCode(params: unknown): PublicErrorCode {
  const wanted = (params as { params?: { errorCode?: unknown } } | undefined)?.params?.errorCode;
  if (typeof wanted === 'string' && Object.hasOwn(errorCatalogue, wanted) && errorCatalogue[wanted as PublicErrorCode].status === 400) return wanted as PublicErrorCode;
  return 'VALIDATION_FAILED';
}

/**
 * Errors the router raises before any route or error handler runs (Fastify's `frameworkErrors`): a
 * malformed percent-encoding or a path parameter over the router's length limit. No valid id is that
 * long, so both are the caller's mistake, answered in the catalogue's shape (never Fastify's own).
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_BAD_URL') {
    reply.status(400).send(errorBody('VALIDATION_FAILED', 'the URL path is not valid percent-encoding'));
    return;
  }
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    reply.status(400).send(errorBody('VALIDATION_FAILED', 'a path parameter is longer than any valid value'));
    return;
  }
  reply.status(500).send(errorBody('INTERNAL', errorCatalogue.INTERNAL.description));
}

const fastifyCodes: Record<string, PublicErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
};

export function installErrorHandling(app: FastifyInstance): void {
  const handle = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const first = error.validation[0];
      const field = fieldPath(first?.instancePath, error.validationContext);
      const message = first ? `${field ?? 'request'}: ${first.message}` : 'request does not match the schema';
      return reply.status(400).send(errorBody(issueCode(first?.params), message, field));
    }
    if (error instanceof CodedError) {
      // Every module's errors (services, providers, git, jobs, …) share this base; internal codes
      // (crypto, shared state) are answered as INTERNAL.
      const code = publicCode(error.code);
      if (error.status >= 500) logSafely(request.log, 'error', { err: error }, 'request failed');
      return reply
        .status(errorCatalogue[code].status)
        .headers({ ...retryAfterHeaders(error.retryAfterMs), ...error.headers })
        .send(errorBody(code, error.status >= 500 ? errorCatalogue[code].description : error.message, code === 'INTERNAL' ? undefined : error.field, error.provider));
    }
    const mapped = error.code ? fastifyCodes[error.code] : undefined;
    if (mapped) {
      const message =
        mapped === 'PAYLOAD_TOO_LARGE'
          ? `request body is larger than the limit of ${request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit} bytes`
          : mapped === 'INVALID_JSON'
            ? 'request body is not valid JSON'
            : error.message;
      return reply.status(errorCatalogue[mapped].status).send(errorBody(mapped, message));
    }
    if (error instanceof SyntaxError && error.statusCode === 400) {
      return reply.status(400).send(errorBody('INVALID_JSON', 'request body is not valid JSON'));
    }
    if (isResponseSerializationError(error)) {
      logSafely(request.log, 'error', { err: error, cause: error.cause?.issues }, 'response did not match its schema');
      return reply.status(500).send(errorBody('INTERNAL', errorCatalogue.INTERNAL.description));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code: PublicErrorCode = status === 404 ? 'NOT_FOUND' : status === 405 ? 'METHOD_NOT_ALLOWED' : status === 429 ? 'RATE_LIMITED' : 'VALIDATION_FAILED';
      return reply.status(status).send(errorBody(code, error.message));
    }
    logSafely(request.log, 'error', { err: error }, 'unhandled error');
    return reply.status(500).send(errorBody('INTERNAL', errorCatalogue.INTERNAL.description));
  };
  app.setErrorHandler((error: FastifyError, request, reply) => {
    try {
      return handle(error, request, reply);
    } catch (failure) {
      logSafely(request.log, 'error', { err: failure }, 'the error handler failed');
      return reply.code(500).type('application/json; charset=utf-8').send(errorBody('INTERNAL', errorCatalogue.INTERNAL.description));
    }
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(errorBody('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
  });
}
