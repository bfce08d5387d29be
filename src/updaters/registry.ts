/**
 * Every updater the service knows, and the one table of ecosystem names: the canonical name of each
 * (the updater's), the other names callers use for it (advisories say `pypi`, `go`, `rubygems`;
 * scanners and people say `python`, `node`, `yarn`), and which manifests an advisory for it may
 * concern. Fingerprints, the fix-PR engine and the request schemas all resolve names here. Adding an
 * ecosystem = one folder + one line in `updaters` + its aliases; the shared contract test
 * (test/updaters/contract.test.ts) then runs against it.
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

/**
 * Other names for each ecosystem (lower-case). A name belongs to one ecosystem only. Finding
 * fingerprints fold these names, so a new alias changes the fingerprint of findings stored under it:
 * add one together with a fingerprint version bump and a migration (src/domain/fingerprint.ts).
 */
const aliasesOf: Readonly<Record<Ecosystem, readonly string[]>> = {
  npm: ['node', 'yarn', 'pnpm'],
  pip: ['pypi', 'python'],
  gomod: ['go', 'golang', 'go-modules'],
  maven: [],
  gradle: [],
  bundler: ['rubygems', 'gem', 'ruby'],
};

/**
 * Ecosystems whose manifests an advisory may concern, its own first: a Maven artifact is used by
 * Gradle builds too, and a Gradle dependency is a Maven artifact.
 */
const manifestFamilies: Readonly<Partial<Record<Ecosystem, readonly Ecosystem[]>>> = {
  maven: ['maven', 'gradle'],
  gradle: ['gradle', 'maven'],
};

const byName = new Map<string, Ecosystem>(
  updaters.flatMap((updater) => [updater.ecosystem, ...aliasesOf[updater.ecosystem]].map((name) => [name, updater.ecosystem] as const)),
);

/** Every name accepted for an ecosystem, canonical names first (for request schemas and docs). */
export const ecosystemNames: readonly [string, ...string[]] = [...byName.keys()] as [string, ...string[]];

/** The canonical ecosystem for any of its names (case and surrounding spaces ignored); null when unknown. */
export function resolveEcosystem(name: string): Ecosystem | null {
  return byName.get(name.trim().toLowerCase()) ?? null;
}

/** The other names of an ecosystem. */
export function ecosystemAliases(ecosystem: Ecosystem): readonly string[] {
  return aliasesOf[ecosystem];
}

/** The ecosystems whose manifests an advisory for `ecosystem` may concern, `ecosystem` first. */
export function manifestEcosystems(ecosystem: Ecosystem): readonly Ecosystem[] {
  return manifestFamilies[ecosystem] ?? [ecosystem];
}
