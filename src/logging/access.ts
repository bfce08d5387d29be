/**
 * One access line per request instead of Fastify's two (`incoming request` when it arrives and
 * `request completed` when it is answered): the completed line carries everything both did —
 * `req: {method, url, host, remoteAddress, remotePort}` (credential parameters masked by the
 * logger's serializer), `res: {statusCode}`, `responseTime` in milliseconds, `request_id`, and `org`
 * and `sub` for authenticated requests (the request's logger after authentication). Half the lines
 * on the hot path; every other request-related line of Fastify (errors, stream errors, not found,
 * serializer failures) is kept as it was.
 *
 * The completed line is assembled once as a string (writePreformattedInfo): the same JSON, field
 * for field and in the same order, that `request.log.info({req, res, responseTime}, 'request
 * completed')` writes (test/logging/access.test.ts compares the two), without pino's per-call
 * argument hook, merge-object redaction pass and key-by-key serialization. The request's fields
 * still go through the logger's own request serializer (URL and host redacted).
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { serializeRequest, writePreformattedInfo } from './logger.ts';

const completedMessage = JSON.stringify('request completed');

/** The access line's fields after the bindings: `,"req":{…},"res":{"statusCode":…},"responseTime":…`. */
export function accessLineFields(request: FastifyRequest, statusCode: number, responseTime: number): string {
  return `,"req":${JSON.stringify(serializeRequest(request))},"res":{"statusCode":${statusCode}},"responseTime":${Number.isFinite(responseTime) ? responseTime : null}`;
}

export class AccessLogController extends LogController {
  override incomingRequest(): void {
    // Folded into the completed line.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    // request.log, not reply.log: authentication replaces it with a child that carries org and sub.
    if (error) request.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else {
      const log = request.log as Parameters<typeof writePreformattedInfo>[0];
      if (log.isLevelEnabled?.('info') === false) return;
      const responseTime = reply.elapsedTime;
      if (!writePreformattedInfo(log, accessLineFields(request, reply.statusCode, responseTime), completedMessage)) {
        request.log.info({ req: request, res: reply, responseTime }, 'request completed');
      }
    }
  }
}
