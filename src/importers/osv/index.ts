/**
 * OSV-Scanner JSON (`osv-scanner --format json`), v1 and v2: `results[]` per source (a lockfile or
 * an image layer), `packages[]` per package with its `vulnerabilities[]` (OSV records) and `groups[]`
 * (v1: `{ids}`; v2 also `aliases` and `max_severity`), a group being one advisory under all its ids.
 * One finding per group; without groups, one per vulnerability with its aliases. Severity: v2's
 * `max_severity` score, else the GHSA `database_specific.severity`, else the CVSS v3 vector's score.
 * Fixed versions: the `fixed` events of the affected ranges for this package.
 */
import { arr, declarationPath, ecosystemOf, isObject, maxScore, requireObject, severityOf, str, text, type Json } from '../common.ts';
import { normalizePackageName } from '../../domain/fingerprint.ts';
import { cvssScoreOf } from '../cvss.ts';
import { formatPath, walkJson } from '../json-stream.ts';
import type { Importer, ParsedItem, ReportSource } from '../types.ts';
import { chooseFixedVersion, cleanVersion } from '../versions.ts';

const PACKAGE = ['results', '*', 'packages', '*'] as const;
const SOURCE = ['results', '*', 'source'] as const;

async function* parse(source: ReportSource): AsyncGenerator<ParsedItem> {
  let result = -1;
  let sourcePath: string | null = null;
  const walk = walkJson(source, {
    root: 'object',
    select: [PACKAGE, SOURCE],
    shape: [
      { path: ['results'], type: 'array' },
      { path: ['results', '*'], type: 'object' },
      { path: ['results', '*', 'packages'], type: 'array' },
    ],
  });
  for await (const { selector, path, value, line } of walk) {
    if (path[1] !== result) {
      result = path[1] as number;
      sourcePath = null;
    }
    if (selector === 1) {
      sourcePath = isObject(value) ? str(value.path) : null;
      continue;
    }
    yield* packageItems(requireObject(value, formatPath(path), line), formatPath(path), sourcePath);
  }
}

function idsOf(vulnerability: Json): string[] {
  return [str(vulnerability.id), ...arr(vulnerability.aliases).map(str)].filter((x): x is string => x !== null);
}

function* packageItems(entry: Json, path: string, sourcePath: string | null): Generator<ParsedItem> {
  const pkg = isObject(entry.package) ? entry.package : {};
  const packageName = str(pkg.name);
  const installed = str(pkg.version) ?? str(pkg.commit);
  const vulnerabilities = arr(entry.vulnerabilities).filter(isObject);
  if (!packageName) {
    yield { type: 'skip', reason: 'missing-package', path };
    return;
  }
  if (!installed) {
    yield { type: 'skip', reason: 'missing-version', path };
    return;
  }
  const ecosystem = ecosystemOf(str(pkg.ecosystem)) ?? 'unknown';
  const installedVersion = cleanVersion(ecosystem, installed);
  const groups = arr(entry.groups).filter(isObject);
  const units: { ids: string[]; records: Json[]; maxSeverity: unknown }[] = [];
  if (groups.length > 0) {
    for (const group of groups) {
      const ids = [...arr(group.ids), ...arr(group.aliases)].map(str).filter((x): x is string => x !== null);
      const records = vulnerabilities.filter((v) => idsOf(v).some((id) => ids.includes(id)));
      units.push({ ids: [...ids, ...records.flatMap(idsOf)], records, maxSeverity: group.max_severity });
    }
  } else {
    for (const record of vulnerabilities) units.push({ ids: idsOf(record), records: [record], maxSeverity: null });
  }
  for (const [index, unit] of units.entries()) {
    const where = `${path}.${groups.length > 0 ? 'groups' : 'vulnerabilities'}[${index}]`;
    if (unit.ids.length === 0) {
      yield { type: 'skip', reason: 'missing-advisory-id', path: where };
      continue;
    }
    const primary = unit.records[0];
    const fixes = unit.records.flatMap((record) =>
      arr(record.affected)
        .filter(isObject)
        .filter((a) => {
          const name = isObject(a.package) ? str(a.package.name) : null;
          return name === null || normalizePackageName(ecosystem, name) === normalizePackageName(ecosystem, packageName);
        })
        .flatMap((a) => arr(a.ranges).filter(isObject))
        .flatMap((range) => arr(range.events).filter(isObject))
        .map((event) => str(event.fixed))
        .filter((v): v is string => v !== null),
    );
    let severity = null;
    for (const record of unit.records) severity ??= isObject(record.database_specific) ? severityOf(record.database_specific.severity) : null;
    const vectorScores = unit.records.flatMap((record) => arr(record.severity).filter(isObject).map((s) => cvssScoreOf(s.score)));
    const cvssScore = cvssScoreOf(unit.maxSeverity) ?? maxScore(vectorScores);
    // The id shown: the OSV record's own first (GHSA-, GO-, PYSEC-…), then the group's.
    const ids = [...new Set([...(primary ? idsOf(primary) : []), ...unit.ids])];
    yield {
      type: 'finding',
      finding: {
        kind: 'package',
        ecosystem,
        packageName,
        installedVersion,
        fixedVersion: chooseFixedVersion(ecosystem, installedVersion, fixes),
        advisoryIds: ids,
        title: (primary && (str(primary.summary) ?? null)) ?? `${ids[0]} in ${packageName}`,
        description: primary ? text(primary.details) : null,
        severity,
        cvssScore,
        manifestPath: declarationPath(sourcePath),
        status: 'open',
        path: where,
      },
    };
  }
}

export const osvImporter: Importer = {
  format: 'osv',
  label: 'OSV-Scanner JSON',
  detect(head) {
    if (/"results"\s*:\s*\[/.test(head) && /"(packages|source)"\s*:/.test(head) && !/"runs"\s*:/.test(head)) return 0.9;
    if (/"experimental_config"\s*:/.test(head)) return 0.9;
    if (/^\s*\{\s*"results"\s*:/.test(head)) return 0.5;
    return 0;
  },
  parse,
};
