/**
 * One table of ecosystem names (the updater registry's): every name resolves to the same ecosystem
 * in finding fingerprints, in the fix-PR engine (which manifests to search, branch names) and in the
 * request schema of the internal endpoint. Before, fingerprints knew `python`, `node`, `yarn` and
 * the PR engine did not.
 */
import { describe, expect, it } from 'vitest';
import { computeFingerprint, normalizeEcosystem } from '../../src/domain/fingerprint.ts';
import { canonicalEcosystem, updaterEcosystems } from '../../src/services/pull-requests/ecosystems.ts';
import { ecosystemAliases, ecosystemNames, manifestEcosystems, resolveEcosystem, updaters } from '../../src/updaters/index.ts';
import { ecosystems } from '../../src/updaters/types.ts';

const canonical = updaters.map((updater) => updater.ecosystem);

describe('ecosystem names', () => {
  it('has an entry for every updater, and every name belongs to exactly one ecosystem', () => {
    expect([...canonical].sort()).toEqual([...ecosystems].sort());
    const all = canonical.flatMap((ecosystem) => [ecosystem, ...ecosystemAliases(ecosystem)]);
    expect(new Set(all).size).toBe(all.length);
    expect([...ecosystemNames].sort()).toEqual([...all].sort());
  });

  it.each(canonical.flatMap((ecosystem) => [ecosystem, ...ecosystemAliases(ecosystem)].map((name) => [name, ecosystem] as const)))(
    '%s resolves to %s everywhere',
    (name, ecosystem) => {
      for (const spelling of [name, name.toUpperCase(), `  ${name} `]) {
        expect(resolveEcosystem(spelling)).toBe(ecosystem);
        expect(normalizeEcosystem(spelling)).toBe(ecosystem);
        expect(canonicalEcosystem(spelling)).toBe(ecosystem);
        expect(updaterEcosystems(spelling)).toEqual([...manifestEcosystems(ecosystem)]);
        expect(updaterEcosystems(spelling)[0]).toBe(ecosystem);
      }
    },
  );

  it('the names the PR engine did not know before now search their manifests', () => {
    expect(updaterEcosystems('python')).toEqual(['pip']);
    expect(updaterEcosystems('node')).toEqual(['npm']);
    expect(updaterEcosystems('yarn')).toEqual(['npm']);
    expect(updaterEcosystems('go-modules')).toEqual(['gomod']);
    expect(updaterEcosystems('ruby')).toEqual(['bundler']);
  });

  it('an advisory for a Maven artifact searches Gradle builds too, and the other way round', () => {
    expect(updaterEcosystems('maven')).toEqual(['maven', 'gradle']);
    expect(updaterEcosystems('gradle')).toEqual(['gradle', 'maven']);
  });

  it('an unknown name is kept (lower-cased) for fingerprints and branch names, and searches nothing', () => {
    expect(resolveEcosystem('Cargo')).toBeNull();
    expect(normalizeEcosystem(' Cargo ')).toBe('cargo');
    expect(canonicalEcosystem(' Cargo ')).toBe('cargo');
    expect(updaterEcosystems('Cargo')).toEqual([]);
  });

  it('an alias and its canonical name give a finding the same fingerprint', () => {
    const finding = (ecosystem: string) =>
      computeFingerprint({ kind: 'vulnerability', ecosystem, packageName: 'Django', repoUrl: 'https://github.com/acme/web', manifestPath: 'requirements.txt', advisoryIds: ['CVE-2024-1'] });
    for (const name of ['pypi', 'python', 'PIP']) expect(finding(name)).toBe(finding('pip'));
  });
});
