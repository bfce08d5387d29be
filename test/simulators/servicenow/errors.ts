/** ServiceNow's error envelope `{"error":{"message","detail"},"status":"failure"}` and the messages the simulator sends. */
import type { FastifyReply } from 'fastify';

export function sendError(reply: FastifyReply, status: number, message: string, detail: string | null): FastifyReply {
  return reply.code(status).type('application/json;charset=UTF-8').send({ error: { message, detail }, status: 'failure' });
}

/** 401 for a missing/bad Basic credential or an unknown/expired bearer token (PROVIDER-FACTS §5; realm as wire captures show it). */
export function sendUnauthorized(reply: FastifyReply): FastifyReply {
  void reply.header('www-authenticate', 'BASIC realm="Service-now"');
  return sendError(reply, 401, 'User is not authenticated', 'Required to provide Auth information');
}

export const NO_RECORD = { message: 'No Record found', detail: "Record doesn't exist or ACL restricts the record retrieval" };

export const aclDetail = (operation: 'Insert' | 'Update' | 'Delete'): string => `ACL Exception ${operation} Failed due to security constraints`;

/** What a sleeping developer instance answers (an HTML page, not JSON). */
export const HIBERNATING_PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Instance Hibernating</title></head>
<body>
<h1>Your instance is hibernating</h1>
<p>Developer instances hibernate when they have not been used for a while. Sign in to the developer portal and wake the instance to continue.</p>
</body>
</html>
`;
