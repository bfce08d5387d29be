/** Pure parts: text within ServiceNow's field limits, impact/urgency parsing, Link headers, query escaping. */
import { describe, expect, it } from 'vitest';
import {
  DESCRIPTION_LIMIT,
  descriptionFor,
  encodeQueryValue,
  nextLink,
  parseImpactUrgency,
  priorityOf,
  SHORT_DESCRIPTION_LIMIT,
  shortDescriptionFor,
  type FindingForTicket,
} from '../../../src/providers/servicenow/index.ts';

const finding: FindingForTicket = {
  kind: 'vulnerability',
  title: 'Prototype pollution in lodash',
  description: 'lodash before 4.17.21 is vulnerable.',
  severity: 'high',
  ecosystem: 'npm',
  packageName: 'lodash',
  installedVersion: '4.17.20',
  fixedVersion: '4.17.21',
  advisoryIds: ['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm', 'cve-2021-23337'],
  cvssScore: 7.2,
  repoUrl: 'https://github.com/acme/app',
  manifestPath: 'package.json',
  fingerprint: 'fp-123',
  detailsUrl: 'https://integrations.example.com/findings/1',
};

describe('render', () => {
  it('short description: severity, package and title on one line', () => {
    expect(shortDescriptionFor(finding)).toBe('[HIGH] lodash 4.17.20: Prototype pollution in lodash');
    expect(shortDescriptionFor({ kind: 'violation', title: 'MFA\nmissing', controlId: 'AC-2', severity: 'low' })).toBe('[LOW] AC-2: MFA missing');
  });

  it('short description is at most 160 characters, never half a surrogate pair', () => {
    const long = shortDescriptionFor({ ...finding, title: '😀'.repeat(400) });
    expect(Array.from(long)).toHaveLength(SHORT_DESCRIPTION_LIMIT);
    expect(long.endsWith('…')).toBe(true);
    expect(long).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('description: plain text sections, advisories linked and deduplicated, remediation, key and link', () => {
    const { text, cut } = descriptionFor(finding);
    expect(cut).toBe(false);
    expect(text).toBe(
      [
        'Vulnerability: Prototype pollution in lodash',
        'lodash before 4.17.21 is vulnerable.',
        'Details\n- Severity: HIGH\n- CVSS score: 7.2\n- Package: lodash (npm)\n- Installed version: 4.17.20\n- Fixed version: 4.17.21\n- Repository: https://github.com/acme/app\n- Manifest: package.json',
        'Advisories\n- CVE-2021-23337 https://nvd.nist.gov/vuln/detail/CVE-2021-23337\n- GHSA-35jh-r3h4-6jhm https://github.com/advisories/GHSA-35jh-r3h4-6jhm',
        'Remediation\n1. Upgrade lodash from 4.17.20 to 4.17.21 or later in package.json.\n2. Run the test suite, then merge and deploy the fix.',
        'Finding key: fp-123\nFull details: https://integrations.example.com/findings/1',
      ].join('\n\n'),
    );
  });

  it('a huge finding is cut structurally under the limit and still points to the details', () => {
    const huge = { ...finding, description: 'x'.repeat(50_000), advisoryIds: Array.from({ length: 500 }, (_, i) => `CVE-2024-${10000 + i}`) };
    const { text, cut } = descriptionFor(huge);
    expect(cut).toBe(true);
    expect(Array.from(text).length).toBeLessThanOrEqual(DESCRIPTION_LIMIT);
    expect(text).toContain('Full details: https://integrations.example.com/findings/1');
    expect(text).toMatch(/… and \d+ more/);
    expect(text).toContain('Remediation');
  });

  it('control characters and bidi overrides are removed', () => {
    expect(descriptionFor({ ...finding, description: 'a\u0000b\u202ec\r\nd' }).text).toContain('abc\nd');
  });
});

describe('priority targets', () => {
  it('reads pairs, numbers and names; the lookup gives the documented priorities', () => {
    expect(parseImpactUrgency('2/3')).toEqual({ impact: '2', urgency: '3' });
    expect(parseImpactUrgency('1x2')).toEqual({ impact: '1', urgency: '2' });
    expect(parseImpactUrgency('4 - Low')).toEqual({ impact: '2', urgency: '3' });
    expect(parseImpactUrgency('Moderate')).toEqual({ impact: '2', urgency: '2' });
    expect(parseImpactUrgency('Blocker')).toBeNull();
    expect(['1', '2', '3', '4', '5'].map((p) => priorityOf(parseImpactUrgency(p)!))).toEqual(['1', '2', '3', '4', '5']);
  });
});

describe('paging and queries', () => {
  it('finds rel="next" in a Link header', () => {
    const header =
      '<https://x.service-now.com/api/now/table/incident?sysparm_limit=2&sysparm_offset=0>;rel="first",<https://x.service-now.com/api/now/table/incident?sysparm_limit=2&sysparm_offset=2>;rel="next",<https://x.service-now.com/api/now/table/incident?sysparm_limit=2&sysparm_offset=8>;rel="last"';
    expect(nextLink(header)).toBe('https://x.service-now.com/api/now/table/incident?sysparm_limit=2&sysparm_offset=2');
    expect(nextLink('<https://x/a>;rel="last"')).toBeNull();
    expect(nextLink(undefined)).toBeNull();
  });

  it('escapes carets in encoded-query values', () => {
    expect(encodeQueryValue('a^b^ORc')).toBe('a^^b^^ORc');
  });
});
