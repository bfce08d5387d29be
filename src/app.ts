/**
 * Builds the Fastify application (no listen): used by `serve` and by tests through `inject`.
 * The HTTP layer only parses, authenticates and answers; the work happens in services and jobs.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from './context.ts';
import { installAuth } from './http/plugins/auth.ts';
import { installErrorHandling } from './http/plugins/errors.ts';
import { installMetrics } from './http/plugins/metrics.ts';
import { routePlugins } from './http/routes/index.ts';

export async function buildApp(context: AppContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: context.logger as FastifyBaseLogger,
    bodyLimit: context.config.bodyLimitBytes,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(given) ? given : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    trustProxy: true,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  installErrorHandling(app);
  installMetrics(app, context);
  installAuth(app, context);

  await app.register(cors, {
    origin: context.config.corsOrigins === '*' ? '*' : context.config.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Integration Service',
        version: context.version,
        description:
          'Turns security and compliance findings into tracked, fixed work: Jira and ServiceNow tickets, GitHub fix pull requests, status kept in sync.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      tags: [
        { name: 'system', description: 'Probes and service information' },
        { name: 'jobs', description: 'Durable outbound work' },
        { name: 'findings', description: 'Vulnerabilities and compliance violations' },
        { name: 'cases', description: 'Audit cases (sets of violations)' },
        { name: 'connections', description: 'Provider accounts and their mappings' },
        { name: 'tickets', description: 'Jira issues opened for findings' },
        { name: 'seed 002', description: 'Seed 002 ticket routes at their own paths' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  for (const { plugin, prefix } of routePlugins(context)) await app.register(plugin, { prefix });

  return app;
}
