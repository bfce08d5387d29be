/**
 * The contract every registered updater must keep, run over every fixture case: extracted spans hold
 * exactly the version text, updates change only those spans and round-trip through extract, and
 * refusals carry a stable code and a one-line reason. A new updater without fixture cases fails here.
 */
import { describe, expect, it } from 'vitest';
import { updaterFor, updaters } from '../../src/updaters/registry.ts';
import { cases } from './fixtures/cases.ts';
import { expectedFromChanges, readFixture } from './helpers.ts';

const REFUSAL_CODES = new Set([
  'invalid-version', 'package-not-found', 'unparseable-manifest', 'git-source', 'path-source', 'url-source',
  'workspace-protocol', 'alias', 'reference', 'no-version', 'dynamic-version', 'unsupported-requirement', 'no-floor',
  'upper-bound-excludes-fix', 'excluded-version', 'hashes-required', 'version-defined-elsewhere', 'complex-property',
  'replaced-module', 'verification-failed',
]);

describe.each(updaters.map((u) => [u.ecosystem, u] as const))('%s updater contract', (ecosystem, updater) => {
  const mine = cases.filter((c) => c.ecosystem === ecosystem);

  it('has fixture cases and owns their paths', () => {
    expect(mine.length).toBeGreaterThan(0);
    for (const c of mine) {
      expect(updater.fileMatch(c.path)).toBe(true);
      expect(updaterFor(c.path)?.ecosystem).toBe(ecosystem);
    }
  });

  describe.each(mine.map((c) => [c.fixture, c] as const))('%s', (_fixture, fixtureCase) => {
    const content = readFixture(fixtureCase.fixture);
    const deps = updater.extract(content, fixtureCase.path);

    it('extracts spans whose text is the current value', () => {
      for (const dep of deps) {
        if (dep.span) expect(content.slice(dep.span.start, dep.span.end)).toBe(dep.currentValue);
        if (dep.skipReason) {
          expect(REFUSAL_CODES.has(dep.skipReason)).toBe(true);
          expect(dep.skipMessage).toMatch(/\S/);
        } else {
          expect(dep.span).not.toBeNull();
        }
      }
    });

    it('finds the expected declarations', () => {
      for (const [name, value, skip] of fixtureCase.expect) {
        const found = deps.find((d) => d.name === name && d.currentValue === value);
        expect(found, `${name} ${value}`).toBeDefined();
        expect(found?.skipReason).toBe(skip);
      }
    });

    it('is pure and deterministic', () => {
      expect(updater.extract(content, fixtureCase.path)).toEqual(deps);
    });

    it.each(fixtureCase.updates.map((u) => [`${u.name} → ${u.fixed}`, u] as const))('update %s', (_label, request) => {
      const result = updater.update(content, fixtureCase.path, { packageName: request.name, fixedVersion: request.fixed });
      if (request.code) {
        expect(result).toMatchObject({ ok: false, code: request.code });
        if (!result.ok) {
          expect(REFUSAL_CODES.has(result.code)).toBe(true);
          expect(result.reason).toMatch(/^[^\n]+$/);
        }
        return;
      }
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (!result.ok) return;
      for (const code of request.notes ?? []) expect(result.notes.map((n) => n.code)).toContain(code);
      if (request.satisfied) {
        expect(result.changes).toEqual([]);
        expect(result.content).toBe(content);
        expect(result.notes.map((n) => n.code)).toContain('already-satisfied');
        return;
      }
      const sorted = [...result.changes].sort((a, b) => a.offset - b.offset);
      expect(sorted.map((c) => c.to)).toEqual(request.to);
      // Every byte outside the changed spans is preserved.
      expect(result.content).toBe(expectedFromChanges(content, result.changes));
      // Round trip: the updated file extracts the same declarations, the target now at the new value.
      const after = updater.extract(result.content, fixtureCase.path);
      expect(after).toHaveLength(deps.length);
      const again = updater.update(result.content, fixtureCase.path, { packageName: request.name, fixedVersion: request.fixed });
      expect(again).toMatchObject({ ok: true, changes: [] });
    });
  });
});
