import type { FastifyInstance } from 'fastify';
import type { SimContext } from './context.ts';
export function registerGraphql(_app: FastifyInstance, _ctx: SimContext): void {}
