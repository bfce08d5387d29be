/**
 * Callers name ecosystems the way advisories do (`pypi`, `go`, `rubygems`); the updaters name them by
 * manifest family. An advisory for a Maven artifact applies to Gradle builds too, so `maven` and
 * `gradle` both search both kinds of build file.
 */
import type { Ecosystem } from '../../updaters/index.ts';

const aliases: Record<string, Ecosystem[]> = {
  npm: ['npm'],
  pypi: ['pip'],
  pip: ['pip'],
  go: ['gomod'],
  gomod: ['gomod'],
  golang: ['gomod'],
  maven: ['maven', 'gradle'],
  gradle: ['gradle', 'maven'],
  rubygems: ['bundler'],
  bundler: ['bundler'],
  gem: ['bundler'],
};

/** The updater ecosystems to search for a caller's ecosystem name; empty when unknown. */
export function updaterEcosystems(name: string): Ecosystem[] {
  return aliases[name.trim().toLowerCase()] ?? [];
}

/** The name used in branch names: stable whichever alias the caller used. */
export function canonicalEcosystem(name: string): string {
  return updaterEcosystems(name)[0] ?? name.trim().toLowerCase();
}
