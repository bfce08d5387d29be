/**
 * Every updater the service knows. Adding an ecosystem = one folder + one line here; the shared
 * contract test (test/updaters/contract.test.ts) then runs against it.
 */
import { bundlerUpdater } from './bundler/index.ts';
import { gomodUpdater } from './gomod/index.ts';
import { gradleUpdater } from './gradle/index.ts';
import { mavenUpdater } from './maven/index.ts';
import { npmUpdater } from './npm/index.ts';
import { pipUpdater } from './pip/index.ts';
import type { Ecosystem, Updater } from './types.ts';

export const updaters: readonly Updater[] = [npmUpdater, pipUpdater, gomodUpdater, mavenUpdater, gradleUpdater, bundlerUpdater];

/** The updater for a manifest path (`/`-separated), or the one named by `ecosystem` when given. */
export function updaterFor(path: string, ecosystem?: Ecosystem): Updater | undefined {
  if (ecosystem) return updaters.find((u) => u.ecosystem === ecosystem);
  const normalized = path.replace(/\\/g, '/');
  return updaters.find((u) => u.fileMatch(normalized));
}
