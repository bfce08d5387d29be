/**
 * Grype JSON (`grype <target> -o json`): `matches[]`, each a vulnerability against an artifact.
 * `vulnerability.fix` is `{versions, state}` with state fixed / not-fixed / wont-fix / unknown (or
 * empty): only `fixed` offers versions. Related vulnerabilities (a GHSA's CVE, an NVD record) are
 * aliases of the same advisory. Missing `matches` means nothing found.
 */
import { arr, declarationPath, ecosystemOf, isObject, maxScore, parsePurl, requireObject, severityOf, str, text } from '../common.ts';
import { formatPath, walkJson } from '../json-stream.ts';
import type { Importer, ParsedItem, ReportSource } from '../types.ts';
import { chooseFixedVersion, cleanVersion } from '../versions.ts';

async function* parse(source: ReportSource): AsyncGenerator<ParsedItem> {
  const walk = walkJson(source, {
    root: 'object',
    select: [['matches', '*']],
    shape: [{ path: ['matches'], type: 'array' }],
  });
  for await (const { path, value, line } of walk) yield toItem(requireObject(value, formatPath(path), line), formatPath(path));
}

function scoresOf(vulnerability: unknown): unknown[] {
  if (!isObject(vulnerability)) return [];
  return arr(vulnerability.cvss).map((c) => (isObject(c) && isObject(c.metrics) ? c.metrics.baseScore : null));
}

function toItem(match: Record<string, unknown>, path: string): ParsedItem {
  const vulnerability = isObject(match.vulnerability) ? match.vulnerability : {};
  const artifact = isObject(match.artifact) ? match.artifact : {};
  const id = str(vulnerability.id);
  const packageName = str(artifact.name);
  const installed = str(artifact.version);
  if (!packageName) return { type: 'skip', reason: 'missing-package', path };
  if (!id) return { type: 'skip', reason: 'missing-advisory-id', path };
  if (!installed) return { type: 'skip', reason: 'missing-version', path };
  const purl = parsePurl(str(artifact.purl));
  const ecosystem = purl?.ecosystem ?? ecosystemOf(str(artifact.type)) ?? ecosystemOf(str(artifact.language)) ?? 'unknown';
  const related = arr(match.relatedVulnerabilities).filter(isObject);
  const fix = isObject(vulnerability.fix) ? vulnerability.fix : {};
  const fixState = str(fix.state)?.toLowerCase() ?? '';
  const candidates = fixState === 'fixed' || fixState === '' ? arr(fix.versions).map(str).filter((v): v is string => v !== null) : [];
  const installedVersion = cleanVersion(ecosystem, installed);
  const description = text(vulnerability.description) ?? related.map((r) => text(r.description)).find((d) => d !== null) ?? null;
  const locations = arr(artifact.locations).filter(isObject);
  const manifest = locations.map((l) => declarationPath(str(l.path) ?? str(l.accessPath))).find((p) => p !== null) ?? null;
  let severity = severityOf(vulnerability.severity);
  for (const r of related) severity ??= severityOf(r.severity);
  return {
    type: 'finding',
    finding: {
      kind: 'package',
      ecosystem,
      packageName,
      installedVersion,
      fixedVersion: chooseFixedVersion(ecosystem, installedVersion, candidates),
      advisoryIds: [id, ...related.map((r) => str(r.id)).filter((x): x is string => x !== null)],
      title: `${id} in ${packageName}`,
      description,
      severity,
      cvssScore: maxScore(scoresOf(vulnerability)) ?? maxScore(related.flatMap(scoresOf)),
      manifestPath: manifest,
      status: 'open',
      path,
    },
  };
}

export const grypeImporter: Importer = {
  format: 'grype',
  label: 'Grype JSON',
  detect(head) {
    if (/"matches"\s*:/.test(head) && /"(relatedVulnerabilities|matchDetails|artifact)"\s*:/.test(head)) return 0.95;
    if (/"descriptor"\s*:\s*\{\s*"name"\s*:\s*"grype"/.test(head)) return 0.95;
    if (/^\s*\{\s*"matches"\s*:/.test(head)) return 0.6;
    return 0;
  },
  parse,
};
