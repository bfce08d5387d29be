/**
 * Generates docs/errors.md from the error catalogue (src/errors/catalogue.ts), so the page can never
 * say something the code does not. `node scripts/gen-error-docs.ts` writes the page;
 * `--check` exits 1 when the page on disk differs (test/delivery/error-docs.test.ts does the same).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { errorCatalogue } from '../src/errors/catalogue.ts';

export const errorDocsPath = new URL('../docs/errors.md', import.meta.url);

type Catalogue = Record<string, { status: number; description: string }>;

/** Table cells are single-line; a literal `|` would end the cell. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

export function renderErrorDocs(catalogue: Catalogue = errorCatalogue): string {
  const rows = Object.entries(catalogue)
    .sort(([codeA, a], [codeB, b]) => a.status - b.status || codeA.localeCompare(codeB))
    .map(([code, entry]) => `| \`${code}\` | ${entry.status} | ${cell(entry.description)} |`);
  return [
    '# Error codes',
    '',
    '<!-- Generated from src/errors/catalogue.ts by scripts/gen-error-docs.ts; do not edit by hand.',
    '     Regenerate with `node scripts/gen-error-docs.ts`; test/delivery/error-docs.test.ts fails when it is stale. -->',
    '',
    'Every failed request is answered with the HTTP status below and one JSON shape:',
    '',
    '```json',
    '{ "error": { "code": "VALIDATION_FAILED", "message": "findings.0.severity: Invalid option: expected one of \\"critical\\"|\\"high\\"|\\"medium\\"|\\"low\\"|\\"info\\"", "field": "findings.0.severity" } }',
    '```',
    '',
    '- `code` is stable and machine-readable: branch on it, not on `message`.',
    '- `message` is for people. For 5xx it is the generic text below; the details are in the server log under the',
    '  request id, which every response carries in the `X-Request-Id` header.',
    '- `field` is present when one input is at fault: a dotted path into the body (`findings.0.severity`), or',
    '  prefixed with `query.`, `params.` or `headers.` for those parts of the request.',
    '',
    '| code | HTTP status | meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (import.meta.main) {
  const expected = renderErrorDocs();
  if (process.argv.includes('--check')) {
    const actual = await readFile(errorDocsPath, 'utf8').catch(() => '');
    if (actual !== expected) {
      process.stderr.write('docs/errors.md is out of date; run `node scripts/gen-error-docs.ts`\n');
      process.exitCode = 1;
    }
  } else {
    await writeFile(errorDocsPath, expected);
    process.stdout.write(`wrote docs/errors.md (${Object.keys(errorCatalogue).length} codes)\n`);
  }
}
