/** docs/errors.md is generated from the error catalogue; this fails when someone changes one without the other. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { errorDocsPath, renderErrorDocs } from '../../scripts/gen-error-docs.ts';
import { errorCatalogue } from '../../src/errors/catalogue.ts';

describe('docs/errors.md', () => {
  it('is exactly what scripts/gen-error-docs.ts generates from the catalogue (run it to refresh)', async () => {
    const onDisk = await readFile(errorDocsPath, 'utf8');
    expect(onDisk).toBe(renderErrorDocs());
  });

  it('has one row per catalogue code with its status', () => {
    const page = renderErrorDocs();
    for (const [code, entry] of Object.entries(errorCatalogue)) {
      expect(page).toContain(`| \`${code}\` | ${entry.status} |`);
    }
    expect(page.match(/^\| `[A-Z_]+` \|/gm)).toHaveLength(Object.keys(errorCatalogue).length);
  });

  it('keeps a table row intact when a description holds a pipe or a line break', () => {
    const page = renderErrorDocs({ ODD: { status: 418, description: 'a | b\nc' } });
    expect(page).toContain('| `ODD` | 418 | a \\| b c |');
  });
});
