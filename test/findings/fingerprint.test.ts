import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalIdentity,
  computeFingerprint,
  fingerprintLabel,
  normalizeControlId,
  normalizeEcosystem,
  normalizePackageName,
  normalizeRepoUrl,
  repoIdentity,
  type VulnerabilityIdentity,
} from '../../src/domain/fingerprint.ts';
import { ecosystems } from '../../src/updaters/index.ts';

const base: VulnerabilityIdentity = {
  kind: 'vulnerability',
  ecosystem: 'npm',
  packageName: 'lodash',
  repoUrl: 'https://github.com/acme/web',
  manifestPath: 'package.json',
  advisoryIds: ['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm'],
  installedVersion: '4.17.15',
  fixedVersion: '4.17.21',
};

/** Random upper/lower casing of every letter. */
const recased = (text: string) => fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length }).map((flags) =>
  [...text].map((char, index) => (flags[index] ? char.toUpperCase() : char.toLowerCase())).join(''),
);
const padded = (text: fc.Arbitrary<string>) =>
  fc.tuple(fc.constantFrom('', ' ', '  ', '\t'), text, fc.constantFrom('', ' ', '\n')).map(([a, t, b]) => `${a}${t}${b}`);

describe('finding fingerprints', () => {
  it('is sha256 hex and deterministic', () => {
    const fp = computeFingerprint(base);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(computeFingerprint({ ...base })).toBe(fp);
  });

  it('ignores advisory order, case, duplicates and surrounding whitespace (property)', () => {
    const expected = computeFingerprint(base);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm'], { minLength: 2, maxLength: 2 }),
        recased('CVE-2021-23337'),
        recased('GHSA-35jh-r3h4-6jhm'),
        fc.boolean(),
        (order, cve, ghsa, duplicate) => {
          const ids = order.map((id) => (id.startsWith('CVE') ? ` ${cve} ` : ghsa));
          if (duplicate) ids.push(cve);
          return computeFingerprint({ ...base, advisoryIds: ids }) === expected;
        },
      ),
    );
  });

  it('ignores repo URL spelling: host case, credentials, .git, trailing slash, scheme (property)', () => {
    const expected = computeFingerprint(base);
    fc.assert(
      fc.property(
        recased('github.com'),
        fc.constantFrom('https://', 'http://', 'https://x-access-token:ghp_secret@', 'ssh://git@', 'git@'),
        fc.constantFrom('', '.git', '/', '.git/'),
        padded(fc.constant('')),
        (host, prefix, suffix, space) => {
          const url = prefix === 'git@' ? `git@${host}:acme/web${suffix}` : `${prefix}${host}/acme/web${suffix}`;
          return computeFingerprint({ ...base, repoUrl: `${space}${url}` }) === expected;
        },
      ),
    );
  });

  it('does not depend on title, description, severity or CVSS (they are not identity)', () => {
    // VulnerabilityIdentity has no such fields: re-posting with other text cannot change it.
    const withExtras = { ...base, title: 'other', description: 'x', severity: 'low', cvssScore: 1 } as VulnerabilityIdentity;
    expect(computeFingerprint(withExtras)).toBe(computeFingerprint(base));
  });

  it('normalises package names per ecosystem', () => {
    expect(normalizePackageName('npm', ' Lodash ')).toBe('lodash');
    expect(normalizePackageName('pypi', 'Django_REST.framework')).toBe('django-rest-framework');
    expect(normalizePackageName('pip', 'zope.interface')).toBe(normalizePackageName('pip', 'Zope__Interface'));
    expect(normalizePackageName('maven', 'org.apache.logging.log4j : log4j-core')).toBe('org.apache.logging.log4j:log4j-core');
    expect(normalizePackageName('go', 'github.com/BurntSushi/toml')).toBe('github.com/BurntSushi/toml');
    const pipFp = (name: string) => computeFingerprint({ ...base, ecosystem: 'PyPI', packageName: name });
    fc.assert(
      fc.property(recased('requests-oauthlib'), fc.constantFrom('-', '_', '.', '__', '-.'), (name, sep) => pipFp(name.replace('-', sep)) === pipFp('requests-oauthlib')),
    );
  });

  it("folds ecosystem aliases to the updaters' names", () => {
    expect(normalizeEcosystem('PyPI')).toBe('pip');
    expect(normalizeEcosystem('Go')).toBe('gomod');
    expect(normalizeEcosystem('RubyGems')).toBe('bundler');
    for (const ecosystem of ecosystems) expect(normalizeEcosystem(ecosystem.toUpperCase())).toBe(ecosystem);
    expect(computeFingerprint({ ...base, ecosystem: 'NPM' })).toBe(computeFingerprint(base));
  });

  it('separates what differs: package, repo, manifest, advisories', () => {
    const fp = computeFingerprint(base);
    expect(computeFingerprint({ ...base, packageName: 'lodash-es' })).not.toBe(fp);
    expect(computeFingerprint({ ...base, repoUrl: 'https://github.com/acme/api' })).not.toBe(fp);
    expect(computeFingerprint({ ...base, manifestPath: 'web/package.json' })).not.toBe(fp);
    expect(computeFingerprint({ ...base, advisoryIds: ['CVE-2021-23337'] })).not.toBe(fp);
    expect(computeFingerprint({ ...base, manifestPath: './package.json' })).toBe(fp);
  });

  it('uses installed and fixed versions only when there are no advisory ids', () => {
    const noIds = { ...base, advisoryIds: [] };
    expect(computeFingerprint({ ...base, installedVersion: '4.17.10' })).toBe(computeFingerprint(base));
    expect(computeFingerprint({ ...noIds, installedVersion: '4.17.10' })).not.toBe(computeFingerprint(noIds));
    expect(canonicalIdentity(noIds)).toContain('"versions","4.17.15","4.17.21"');
  });

  it('identifies violations by framework, control id, case and title, ignoring case and whitespace (property)', () => {
    const violation = { kind: 'violation' as const, framework: 'FedRAMP', controlId: 'AC-2', caseId: '6f1c1b9e-1111-4222-8333-444455556666', title: 'Inactive accounts not disabled' };
    const expected = computeFingerprint(violation);
    fc.assert(
      fc.property(
        padded(recased('FedRAMP')),
        fc.constantFrom('AC-2', 'ac-2', 'AC 2', 'ac-02', 'AC2', ' Ac_2 '),
        recased('Inactive accounts not disabled'),
        fc.constantFrom(' ', '  ', '\t'),
        (framework, controlId, title, gap) =>
          computeFingerprint({ ...violation, framework, controlId, title: ` ${title.replaceAll(' ', gap)} `, caseId: violation.caseId.toUpperCase() }) === expected,
      ),
    );
    expect(computeFingerprint({ ...violation, controlId: 'AC-3' })).not.toBe(expected);
    expect(computeFingerprint({ ...violation, caseId: null })).not.toBe(expected);
  });

  it('normalises control ids like NIST writes them and leaves other shapes alone', () => {
    expect(normalizeControlId('ac-2 (1)')).toBe('AC-2(1)');
    expect(normalizeControlId('IA-05')).toBe('IA-5');
    expect(normalizeControlId('cc6.1')).toBe('CC6.1');
    expect(normalizeControlId('A.9.2.1')).toBe('A.9.2.1');
  });

  it('stores repo URLs without credentials and compares them without scheme', () => {
    expect(normalizeRepoUrl('https://user:ghp_abc@GitHub.com/acme/web.git/')).toBe('https://github.com/acme/web');
    expect(normalizeRepoUrl('git@github.com:acme/web.git')).toBe('https://github.com/acme/web');
    expect(repoIdentity('http://GITHUB.com/acme/web')).toBe('github.com/acme/web');
  });

  it('labels are Jira-safe and fixed-length', () => {
    const fp = computeFingerprint(base);
    expect(fingerprintLabel(fp)).toBe(`isfp-${fp.slice(0, 24)}`);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (given) => /^isfp-[0-9a-f]{24}$/.test(fingerprintLabel(given))),
    );
  });
});
