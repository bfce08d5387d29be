/**
 * `npm audit --json`, both report formats:
 * - v2 (npm 7+, `auditReportVersion: 2`): `vulnerabilities{name → entry}`; an entry's `via` holds
 *   advisory objects (this package is vulnerable) or names (it is affected through them), `effects`
 *   the packages that depend on it, `isDirect`, `range` (vulnerable versions) and `fixAvailable`
 *   (true, false, or the package and version to install). No installed versions are reported: the
 *   vulnerable range stands in for it.
 * - v1 (npm 6, `advisories{id → advisory}` and `actions[]`): installed versions per finding, paths
 *   `direct>…>vulnerable`, and the install/update actions that resolve each advisory and path.
 *
 * Findings name the package a fix pull request can bump: the direct dependency. When only a
 * transitive package is vulnerable, the finding is on the direct dependency that brings it in, and
 * its title and description say which transitive package is vulnerable and what fixes it. The `via`
 * and `effects` graph is held in memory (small: one entry per vulnerable package), the report is
 * still read element by element.
 */
import { arr, advisoryIdsIn, isObject, requireObject, severityOf, str, text, type Json } from '../common.ts';
import { cvssScoreOf } from '../cvss.ts';
import { formatPath, walkJson } from '../json-stream.ts';
import type { Importer, PackageFinding, ParsedItem, ReportSource } from '../types.ts';
import { chooseFixedVersion, cleanVersion, lowerBounds } from '../versions.ts';

interface Entry {
  name: string;
  isDirect: boolean;
  effects: string[];
  advisories: Json[];
  range: string | null;
  fixAvailable: unknown;
  path: string;
}

async function* parse(source: ReportSource): AsyncGenerator<ParsedItem> {
  const entries = new Map<string, Entry>();
  const advisories: { value: Json; path: string }[] = [];
  const actions: Json[] = [];
  const walk = walkJson(source, {
    root: 'object',
    select: [['vulnerabilities', '*'], ['advisories', '*'], ['actions', '*']],
    shape: [
      { path: ['vulnerabilities'], type: 'object' },
      { path: ['advisories'], type: 'object' },
      { path: ['actions'], type: 'array' },
    ],
  });
  for await (const { selector, path, value, line } of walk) {
    const where = formatPath(path);
    const item = requireObject(value, where, line);
    if (selector === 0) {
      const name = str(item.name) ?? String(path[1]);
      entries.set(name, {
        name,
        isDirect: item.isDirect === true,
        effects: arr(item.effects).map(str).filter((x): x is string => x !== null),
        advisories: arr(item.via).filter(isObject),
        range: str(item.range),
        fixAvailable: item.fixAvailable,
        path: where,
      });
    } else if (selector === 1) {
      advisories.push({ value: item, path: where });
    } else {
      actions.push(item);
    }
  }
  yield* v2Items(entries);
  yield* v1Items(advisories, actions);
}

/** The direct dependencies that bring `name` in (itself when direct), following `effects` upwards. */
function directsOf(entries: Map<string, Entry>, name: string): string[] {
  const seen = new Set<string>([name]);
  const queue = [name];
  const directs = new Set<string>();
  while (queue.length > 0) {
    const current = entries.get(queue.shift()!);
    if (!current) continue;
    if (current.isDirect) directs.add(current.name);
    for (const parent of current.effects) {
      if (!seen.has(parent)) {
        seen.add(parent);
        queue.push(parent);
      }
    }
  }
  return [...directs].sort();
}

function advisoryIds(advisory: Json): string[] {
  const ids = [...advisoryIdsIn(str(advisory.url)), ...arr(advisory.cves).map(str), str(advisory.github_advisory_id)].filter((x): x is string => x !== null);
  const npmId = str(advisory.source) ?? str(advisory.id);
  if (ids.length === 0 && npmId) ids.push(`NPM-${npmId}`);
  return [...new Set(ids)];
}

function transitiveNote(vulnerable: string, range: string | null, direct: string, fix: string): string {
  return `Only the transitive dependency ${vulnerable}${range ? ` (${range})` : ''} is vulnerable; ${direct} is the direct dependency that brings it in. ${fix}`;
}

function* v2Items(entries: Map<string, Entry>): Generator<ParsedItem> {
  for (const entry of entries.values()) {
    if (entry.advisories.length === 0) continue; // affected only through others: reported with them
    const directs = directsOf(entries, entry.name);
    const targets = directs.length > 0 ? directs : [entry.name];
    for (const [index, advisory] of entry.advisories.entries()) {
      const path = `${entry.path}.via[${index}]`;
      const ids = advisoryIds(advisory);
      if (ids.length === 0) {
        yield { type: 'skip', reason: 'missing-advisory-id', path };
        continue;
      }
      for (const direct of targets) {
        const directEntry = entries.get(direct);
        const fix = [directEntry?.fixAvailable, entry.fixAvailable].find((f) => isObject(f) && str(f.name) === direct) as Json | undefined;
        const fixedVersion = fix ? str(fix.version) : null;
        const major = fix?.isSemVerMajor === true ? ' (a semver-major upgrade)' : '';
        const transitive = direct !== entry.name;
        const fixText = fixedVersion
          ? `Fix: upgrade ${direct} to ${fixedVersion}${major}.`
          : entry.fixAvailable === true
            ? `Fix: \`npm audit fix\` updates ${entry.name} within the ranges ${direct} allows.`
            : 'No fix is available yet.';
        const title = str(advisory.title) ?? `${ids[0]} in ${entry.name}`;
        const installed = (transitive ? directEntry?.range : (entry.range ?? str(advisory.range))) ?? 'unknown';
        const finding: PackageFinding = {
          kind: 'package',
          ecosystem: 'npm',
          packageName: direct,
          installedVersion: installed,
          fixedVersion,
          advisoryIds: ids,
          title: transitive ? `${title} (in ${entry.name}, via ${direct})` : title,
          description: text([transitive ? transitiveNote(entry.name, str(advisory.range), direct, fixText) : fixText, str(advisory.url)].filter(Boolean).join('\n')),
          severity: severityOf(advisory.severity),
          cvssScore: isObject(advisory.cvss) ? cvssScoreOf(advisory.cvss.score) : null,
          manifestPath: null,
          status: 'open',
          path,
        };
        yield { type: 'finding', finding };
      }
    }
  }
}

function* v1Items(advisories: { value: Json; path: string }[], actions: Json[]): Generator<ParsedItem> {
  for (const { value: advisory, path } of advisories) {
    const vulnerable = str(advisory.module_name);
    if (!vulnerable) {
      yield { type: 'skip', reason: 'missing-package', path };
      continue;
    }
    const ids = advisoryIds(advisory);
    if (ids.length === 0) {
      yield { type: 'skip', reason: 'missing-advisory-id', path };
      continue;
    }
    const numericId = advisory.id;
    // direct dependency → lowest installed version of the vulnerable package under it
    const byDirect = new Map<string, { version: string | null; paths: string[] }>();
    for (const found of arr(advisory.findings).filter(isObject)) {
      for (const p of arr(found.paths).map(str).filter((x): x is string => x !== null)) {
        const direct = p.split('>')[0]!;
        const current = byDirect.get(direct) ?? { version: null, paths: [] };
        current.version ??= str(found.version);
        current.paths.push(p);
        byDirect.set(direct, current);
      }
    }
    if (byDirect.size === 0) byDirect.set(vulnerable, { version: null, paths: [vulnerable] });
    for (const [direct, { version, paths }] of [...byDirect.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const transitive = direct !== vulnerable;
      const action = actions.find(
        (a) => str(a.module) === direct && arr(a.resolves).some((r) => isObject(r) && r.id === numericId && paths.includes(str(r.path) ?? '')),
      );
      const patched = str(advisory.patched_versions);
      const fixedVersion = transitive
        ? (action && str(action.action) === 'install' ? str(action.target) : null)
        : chooseFixedVersion('npm', version ?? '', lowerBounds(patched ?? ''));
      if (!transitive && version === null) {
        yield { type: 'skip', reason: 'missing-version', path };
        continue;
      }
      const major = action?.isMajor === true ? ' (a semver-major upgrade)' : '';
      const fixText = fixedVersion
        ? `Fix: upgrade ${direct} to ${fixedVersion}${major}.`
        : patched
          ? `Patched versions of ${vulnerable}: ${patched}.`
          : 'No fix is available yet.';
      const title = str(advisory.title) ?? `${ids[0]} in ${vulnerable}`;
      yield {
        type: 'finding',
        finding: {
          kind: 'package',
          ecosystem: 'npm',
          packageName: direct,
          installedVersion: transitive ? 'unknown' : cleanVersion('npm', version!),
          fixedVersion,
          advisoryIds: ids,
          title: transitive ? `${title} (in ${vulnerable}${version ? ` ${version}` : ''}, via ${direct})` : title,
          description: text(
            [transitive ? transitiveNote(`${vulnerable}${version ? ` ${version}` : ''}`, str(advisory.vulnerable_versions), direct, fixText) : fixText, str(advisory.overview), str(advisory.url)]
              .filter(Boolean)
              .join('\n'),
          ),
          severity: severityOf(advisory.severity),
          cvssScore: isObject(advisory.cvss) ? cvssScoreOf(advisory.cvss.score) : null,
          manifestPath: null,
          status: 'open',
          path,
        },
      };
    }
  }
}

export const npmAuditImporter: Importer = {
  format: 'npm-audit',
  label: 'npm audit JSON',
  detect(head) {
    if (/"auditReportVersion"\s*:/.test(head)) return 0.95;
    if (/"advisories"\s*:/.test(head) && /"(actions|muted|runId)"\s*:/.test(head)) return 0.9;
    if (/"vulnerabilities"\s*:\s*\{/.test(head) && /"(isDirect|fixAvailable|effects)"\s*:/.test(head)) return 0.8;
    return 0;
  },
  parse,
};
