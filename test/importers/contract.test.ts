/**
 * The contract every registered importer keeps, over every fixture case: detection picks it, the
 * findings are complete and well-formed, the expected ones are there, skip reasons are counted,
 * and the result does not depend on how the stream is cut or whether the report is minified.
 * A new importer without fixture cases fails here.
 */
import { describe, expect, it } from 'vitest';
import { detectFormat, importers, skipReasons } from '../../src/importers/index.ts';
import { severityLevels } from '../../src/domain/severity.ts';
import { cases } from './fixtures/cases.ts';
import { minified, parseAll, readFixture } from './helpers.ts';

describe.each(importers.map((i) => [i.format, i] as const))('%s importer contract', (format, importer) => {
  const mine = cases.filter((c) => c.format === format);

  it('has fixture cases', () => {
    expect(mine.length).toBeGreaterThan(0);
  });

  describe.each(mine.map((c) => [c.fixture, c] as const))('%s', (_fixture, fixtureCase) => {
    const bytes = readFixture(fixtureCase.fixture);

    it('is detected as its format, surer than any other importer', () => {
      expect(detectFormat(bytes)?.importer.format).toBe(format);
      const head = bytes.toString('utf8');
      for (const other of importers) if (other !== importer) expect(other.detect(head)).toBeLessThan(importer.detect(head));
    });

    it('yields complete, well-formed findings and counted skip reasons', async () => {
      const items = await parseAll(importer, bytes);
      const findings = items.flatMap((i) => (i.type === 'finding' ? [i.finding] : []));
      expect(findings).toHaveLength(fixtureCase.findings);
      const skipped: Record<string, number> = {};
      for (const item of items) {
        if (item.type !== 'skip') continue;
        expect(skipReasons).toContain(item.reason);
        expect(item.path).toMatch(/^\$/);
        skipped[item.reason] = (skipped[item.reason] ?? 0) + 1;
      }
      expect(skipped).toEqual(fixtureCase.skipped ?? {});
      for (const finding of findings) {
        expect(finding.title.trim()).not.toBe('');
        expect(finding.path).toMatch(/^\$/);
        if (finding.severity !== null) expect(severityLevels).toContain(finding.severity);
        if (finding.cvssScore !== null) expect(finding.cvssScore >= 0 && finding.cvssScore <= 10).toBe(true);
        if (finding.kind === 'package') {
          expect(finding.ecosystem).toMatch(/^[a-z0-9.+-]+$/);
          expect(finding.packageName.trim()).not.toBe('');
          expect(finding.installedVersion.trim()).not.toBe('');
          expect(finding.advisoryIds.length).toBeGreaterThan(0);
          if (finding.manifestPath !== null) expect(finding.manifestPath).not.toMatch(/^(\/|\.\/)/);
        } else {
          expect(finding.ruleId.trim()).not.toBe('');
        }
      }
      for (const wanted of fixtureCase.expect) expect(findings).toContainEqual(expect.objectContaining(wanted));
    });

    it('gives the same result however the stream is cut, and minified', async () => {
      const whole = await parseAll(importer, bytes);
      expect(await parseAll(importer, bytes, 7)).toEqual(whole);
      const oneLine = await parseAll(importer, minified(bytes));
      const strip = (items: typeof whole) => items.map((i) => (i.type === 'finding' ? { ...i, finding: { ...i.finding } } : i));
      expect(strip(oneLine)).toEqual(strip(whole));
    });
  });
});
