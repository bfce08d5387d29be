/**
 * What every shared route plugin needs from the flavour that mounts it: the store, the flavour, who is
 * calling (set by that flavour's auth hook), the URL base for `self` links, and a scope gate (Cloud OAuth
 * tokens are checked per route; Basic/PAT callers pass).
 */
import type { FastifyRequest } from 'fastify';
import { fail, ISSUE_NOT_FOUND } from './errors.ts';
import type { FieldContext } from './fields.ts';
import type { Flavor, Issue } from './model.ts';
import type { RenderContext } from './render.ts';
import type { SeedUser } from './seed.ts';
import type { JiraStore } from './store.ts';

export type ScopeNeed = 'read' | 'write' | 'user';

export interface RouteEnv {
  store: JiraStore;
  flavor: Flavor;
  textLimit: number;
  indexedProperties: 'all' | string[];
  actor(request: FastifyRequest): SeedUser;
  base(request: FastifyRequest): string;
}

export function renderContext(env: RouteEnv, request: FastifyRequest): RenderContext {
  return { store: env.store, flavor: env.flavor, base: env.base(request) };
}

export function fieldContext(env: RouteEnv): FieldContext {
  return { store: env.store, flavor: env.flavor, textLimit: env.textLimit };
}

/** Issues the caller cannot browse are indistinguishable from missing ones (404, not 403). */
export function visibleIssue(env: RouteEnv, request: FastifyRequest, idOrKey: string): Issue {
  const issue = env.store.findIssue(idOrKey);
  if (!issue || !env.store.canSee(env.actor(request), env.store.projectOf(issue).key)) fail(404, [ISSUE_NOT_FOUND]);
  return issue;
}

/** Route config flag read by the Cloud auth hook to check OAuth scopes. */
export function scope(need: ScopeNeed): { config: { scope: ScopeNeed } } {
  return { config: { scope: need } };
}
