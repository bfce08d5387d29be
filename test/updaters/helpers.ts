/** Shared helpers for the updater tests: fixture loading and the "only these spans changed" check. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyEdits } from '../../src/updaters/replace-span.ts';
import type { Change } from '../../src/updaters/types.ts';

export const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url));

export const readFixture = (name: string): string => readFileSync(`${fixturesDir}${name}`, 'utf8');

/** The content an update must produce: the input with each change's `from` replaced by its `to`. */
export function expectedFromChanges(content: string, changes: readonly Change[]): string {
  for (const change of changes) {
    if (content.slice(change.offset, change.offset + change.from.length) !== change.from) {
      throw new Error(`change for ${change.name} does not start at ${change.offset}`);
    }
  }
  return applyEdits(
    content,
    changes.map((c) => ({ start: c.offset, end: c.offset + c.from.length, text: c.to })),
  );
}
