/** CVSS v3 scores from vectors, and the fixed version chosen among a scanner's candidates. */
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/importers/index.ts';
import { cvss3BaseScore } from '../../src/importers/cvss.ts';
import { chooseFixedVersion, cleanVersion, lowerBounds, splitVersions } from '../../src/importers/versions.ts';

describe('cvss3BaseScore', () => {
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:H', 8.6],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10],
    ['CVSS:3.0/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:L/A:L', 3.9],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
  ])('%s → %s', (vector, score) => {
    expect(cvss3BaseScore(vector)).toBe(score);
  });

  it('gives null for v2, v4 and malformed vectors', () => {
    expect(cvss3BaseScore('AV:N/AC:L/Au:N/C:P/I:P/A:P')).toBeNull();
    expect(cvss3BaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N')).toBeNull();
    expect(cvss3BaseScore('CVSS:3.1/AV:X/AC:L')).toBeNull();
  });
});

describe('chooseFixedVersion', () => {
  it('takes the lowest fix above the installed version, in its major first', () => {
    expect(chooseFixedVersion('npm', '1.1.1', ['3.4.0', '2.1.3', '1.2.1'])).toBe('1.2.1');
    expect(chooseFixedVersion('npm', '1.9.0', ['1.2.1', '2.1.3', '3.4.0'])).toBe('2.1.3');
    expect(chooseFixedVersion('npm', '4.17.19', ['5.0.1', 'v4.17.21'])).toBe('4.17.21');
    expect(chooseFixedVersion('npm', '2.0.0', ['1.2.1'])).toBeNull();
    expect(chooseFixedVersion('npm', '1.0.0', [])).toBeNull();
  });

  it('orders with each ecosystem’s rules', () => {
    expect(chooseFixedVersion('maven', '2.9.1', ['2.9.10.4', '2.10.0'])).toBe('2.9.10.4');
    expect(chooseFixedVersion('pip', '3.2.0', ['3.1.12', '3.2.4'])).toBe('3.2.4');
    expect(chooseFixedVersion('pip', '1.0rc1', ['1.0', '1.0rc2'])).toBe('1.0rc2');
    expect(chooseFixedVersion('gomod', 'v2.0.0', ['2.0.3', 'v3.1.0'])).toBe('v2.0.3');
    expect(chooseFixedVersion('bundler', '2.2.6', ['2.2.6.2', '3.0.0'])).toBe('2.2.6.2');
    expect(chooseFixedVersion('alpine', '1.1.1c-r0', ['1.1.1d-r2', '1.1.1d-r0'])).toBe('1.1.1d-r0');
  });

  it('takes the lowest candidate when the installed version is a range', () => {
    expect(chooseFixedVersion('npm', '< 4.17.21', ['4.17.21'])).toBe('4.17.21');
  });

  it('cleans v prefixes (Go keeps them) and reads lists and ranges', () => {
    expect(cleanVersion('npm', 'v1.2.3')).toBe('1.2.3');
    expect(cleanVersion('gomod', '1.2.3')).toBe('v1.2.3');
    expect(splitVersions('1.2.3, 2.0.1 || 3.0.0')).toEqual(['1.2.3', '2.0.1', '3.0.0']);
    expect(lowerBounds('>=0.2.1 <1.0.0 || >=1.2.3')).toEqual(['0.2.1', '1.2.3']);
  });
});

describe('detectFormat', () => {
  it('knows nothing about other JSON', () => {
    expect(detectFormat('{"hello":"world"}')).toBeNull();
    expect(detectFormat('')).toBeNull();
  });
});
