/** Malformed reports: the error names the JSON path and the line; well-formed but empty reports are not errors. */
import { describe, expect, it } from 'vitest';
import { ImportParseError, importerFor } from '../../src/importers/index.ts';
import { parseAll } from './helpers.ts';

async function parseError(format: Parameters<typeof importerFor>[0], text: string, chunk = 64 * 1024): Promise<ImportParseError> {
  try {
    await parseAll(importerFor(format), Buffer.from(text), chunk);
  } catch (error) {
    expect(error).toBeInstanceOf(ImportParseError);
    return error as ImportParseError;
  }
  throw new Error('expected an ImportParseError');
}

describe('malformed reports', () => {
  it('names the line and the path of a JSON syntax error, however the stream is cut', async () => {
    const report = ['{', '  "SchemaVersion": 2,', '  "Results": [', '    {"Target": "a", "Vulnerabilities": [', '      {"VulnerabilityID": "CVE-1", "PkgName": x}', '    ]}', '  ]', '}'].join('\n');
    for (const chunk of [3, 64 * 1024]) {
      const error = await parseError('trivy', report, chunk);
      expect(error.line).toBe(5);
      expect(error.path).toBe('$.Results[0].Vulnerabilities[0]');
      expect(error.message).toMatch(/not valid JSON.*at \$\.Results\[0\]\.Vulnerabilities\[0\] \(line 5\)/);
    }
  });

  it('refuses a container of the wrong type, naming it', async () => {
    const error = await parseError('trivy', '{"SchemaVersion":2,"Results":"none"}');
    expect(error.path).toBe('$.Results');
    expect(error.message).toContain('expected an array, got a string');
    expect((await parseError('grype', '{"matches":[{"vulnerability":{}}, 42]}')).path).toBe('$.matches[1]');
    expect((await parseError('sarif', '{"version":"2.1.0","runs":{}}')).path).toBe('$.runs');
    expect((await parseError('npm-audit', '{"auditReportVersion":2,"vulnerabilities":[]}')).path).toBe('$.vulnerabilities');
    expect((await parseError('osv', '[1,2]')).path).toBe('$');
  });

  it('refuses a truncated report and an empty one', async () => {
    const truncated = await parseError('grype', '{"matches":[{"vulnerability":{"id":"CVE-1"},\n"artifact":{"name":"a"');
    expect(truncated.message).toMatch(/not valid JSON|ends inside a value/);
    expect(truncated.line).toBe(2);
    expect((await parseError('dependabot', '   ')).message).toMatch(/empty report|expected a value/);
  });

  it('refuses an element nested too deep without assembling it', async () => {
    const deep = `{"matches":[${'['.repeat(100)}${']'.repeat(100)}]}`;
    expect((await parseError('grype', deep)).path).toBe('$.matches[0]');
  });

  it('treats missing or null collections as zero findings', async () => {
    for (const [format, text] of [
      ['trivy', '{"SchemaVersion":2}'],
      ['trivy', '{"SchemaVersion":2,"Results":[{"Target":"x","Vulnerabilities":null},{"Target":"y"}]}'],
      ['grype', '{"matches":null}'],
      ['osv', '{"results":[]}'],
      ['npm-audit', '{"auditReportVersion":2,"vulnerabilities":{}}'],
      ['sarif', '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}}}]}'],
      ['dependabot', '[]'],
    ] as const) {
      expect(await parseAll(importerFor(format), Buffer.from(text))).toEqual([]);
    }
  });
});
