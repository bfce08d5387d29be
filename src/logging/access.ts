/**
 * One access line per request instead of Fastify's two (`incoming request` when it arrives and
 * `request completed` when it is answered): the completed line carries everything both did —
 * `req: {method, url, host, remoteAddress, remotePort}` (credential parameters masked by the
 * logger's serializer), `res: {statusCode}`, `responseTime` in milliseconds, `request_id`, and `org`
 * and `sub` for authenticated requests (the request's logger after authentication). Half the lines
 * on the hot path; every other request-related line of Fastify (errors, stream errors, not found,
 * serializer failures) is kept as it was.
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

export class AccessLogController extends LogController {
  override incomingRequest(): void {
    // Folded into the completed line.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    // request.log, not reply.log: authentication replaces it with a child that carries org and sub.
    if (error) request.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
