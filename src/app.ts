/**
 * Builds the Fastify application (no listen): used by `serve` and by tests through `inject`.
 * The HTTP layer only parses, authenticates and answers; the work happens in services and jobs.
 */
import { randomBytes } from 'node:crypto';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from './context.ts';
import { installAuth, markRoutesPublic } from './http/plugins/auth.ts';
import { answerFrameworkError, installErrorHandling } from './http/plugins/errors.ts';
import { installMetrics } from './http/plugins/metrics.ts';
import { installOperations } from './http/plugins/operations.ts';
import { installWebUi } from './http/plugins/web-ui.ts';
import { routePlugins } from './http/routes/index.ts';
import { AccessLogController } from './logging/access.ts';

/** One entry of the app's route table, as registered (HEAD routes Fastify adds for GET included). */
export interface RegisteredRoute {
  method: string;
  url: string;
  /** Opted out of authentication (`config: { public: true }`). */
  public: boolean;
  /** Left out of the OpenAPI document (`schema: { hide: true }`). */
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered so far, for tests and tools that check the whole table. */
    routeTable(): RegisteredRoute[];
  }
}

// Request ids the service makes itself: a random prefix per process and a counter, in base 36
// (unique within the process, and across processes by the prefix); cheaper than a UUID per request.
const requestIdPrefix = randomBytes(6).toString('hex');
let requestCounter = 0;
function nextRequestId(): string {
  requestCounter += 1;
  return `${requestIdPrefix}-${requestCounter.toString(36)}`;
}

/** `https`: the PEM key and certificate when the service serves HTTPS itself (TLS_CERT/TLS_KEY). */
export async function buildApp(context: AppContext, server: { https?: { key: Buffer; cert: Buffer } } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(server.https ? { https: server.https } : {}),
    loggerInstance: context.logger as FastifyBaseLogger,
    bodyLimit: context.config.bodyLimitBytes,
    frameworkErrors: answerFrameworkError,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(given) ? given : nextRequestId();
    },
    // One access line per request (src/logging/access.ts), not Fastify's incoming + completed pair.
    logController: new AccessLogController({ requestIdLogLabel: 'request_id' }),
    trustProxy: context.config.trustProxy,
  }).withTypeProvider<ZodTypeProvider>();

  // Collected as registered; public and hidden are read when asked, because onRoute hooks of
  // encapsulated scopes (markRoutesPublic) run after this root hook.
  const registered: { method: string; url: string; options: RouteOptions }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registered.push({ method, url: route.url, options: route });
  });
  app.decorate('routeTable', () =>
    registered.map(({ method, url, options }) => ({
      method,
      url,
      public: options.config?.public === true,
      hidden: (options.schema as { hide?: boolean } | undefined)?.hide === true,
    })),
  );
  // @fastify/cors answers preflights (which never carry credentials) from its own `OPTIONS *` route.
  app.addHook('onRoute', (route) => {
    if (route.method === 'OPTIONS' && route.url === '*') route.config = { ...route.config, public: true };
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });

  installErrorHandling(app);
  installMetrics(app, context);
  installAuth(app, context);
  installOperations(app);

  // A request without an Origin header is not a CORS request: @fastify/cors's per-request work
  // (options spread, origin resolution) is skipped for it, and it gets exactly the headers the
  // library would set (non-OPTIONS only: a preflight without Origin still gets the library's 400).
  const exposedHeaders = 'X-Request-Id, Retry-After';
  const anyOrigin = context.config.corsOrigins === '*';
  const addHook = app.addHook;
  app.addHook = function addCorsHook(this: FastifyInstance, name: string, handler: (...args: unknown[]) => unknown) {
    if (name !== 'onRequest' || handler.length !== 3) return addHook.call(this, name as 'onRequest', handler as never);
    const corsHandler = handler as (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;
    const corsWithoutOrigin = function handleCorsWithoutOrigin(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) {
      if (request.headers.origin !== undefined || request.raw.method === 'OPTIONS' || reply.hasHeader('vary')) return corsHandler.call(this, request, reply, done);
      if (anyOrigin) reply.header('access-control-allow-origin', '*');
      else reply.header('vary', 'Origin');
      reply.header('access-control-expose-headers', exposedHeaders);
      done();
    };
    return addHook.call(this, 'onRequest', corsWithoutOrigin as never);
  } as typeof app.addHook;
  await app.register(cors, {
    origin: context.config.corsOrigins === '*' ? '*' : context.config.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: exposedHeaders.split(', '),
  });
  app.addHook = addHook;

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
        { name: 'pull requests', description: 'Fix pull requests opened for findings' },
        { name: 'audit', description: 'Operations with their audit events and outbound calls' },
        { name: 'seed 002', description: 'Seed 002 ticket routes at their own paths' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  // The documentation UI, its assets and its copy of the document are public like /openapi.json.
  await app.register(async (scope) => {
    markRoutesPublic(scope);
    await scope.register(swaggerUi, { routePrefix: '/docs' });
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());

  for (const { plugin, prefix } of routePlugins(context)) await app.register(plugin, { prefix });
  await installWebUi(app, context);

  return app;
}
