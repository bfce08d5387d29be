/**
 * Callers name ecosystems the way advisories do (`pypi`, `go`, `rubygems`); the updaters name them by
 * manifest family. The names and aliases are the updater registry's (src/updaters/registry.ts), the
 * same ones findings are fingerprinted with; an advisory for a Maven artifact applies to Gradle
 * builds too, so `maven` and `gradle` both search both kinds of build file.
 */
import { type Ecosystem, manifestEcosystems, resolveEcosystem } from '../../updaters/index.ts';

/** The updater ecosystems to search for a caller's ecosystem name; empty when unknown. */
export function updaterEcosystems(name: string): Ecosystem[] {
  const ecosystem = resolveEcosystem(name);
  return ecosystem ? [...manifestEcosystems(ecosystem)] : [];
}

/** The name used in branch names: stable whichever alias the caller used. */
export function canonicalEcosystem(name: string): string {
  return resolveEcosystem(name) ?? name.trim().toLowerCase();
}
