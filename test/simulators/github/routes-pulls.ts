import type { FastifyInstance } from 'fastify';
import type { SimContext } from './context.ts';
export function registerPullRoutes(_app: FastifyInstance, _ctx: SimContext): void {}
