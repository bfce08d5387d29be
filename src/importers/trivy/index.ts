/**
 * Trivy JSON (`trivy fs|image|repo --format json`, SchemaVersion 2): `Results[]` per target (a
 * lockfile for `lang-pkgs`, the OS of an image for `os-pkgs`), each with `Vulnerabilities[]`.
 * Missing or null `Results`/`Vulnerabilities` mean nothing found. The result's `Target`, `Class` and
 * `Type` precede its vulnerabilities in Trivy's output; the package URL (`PkgIdentifier.PURL`) names
 * the ecosystem when present, so the order does not matter for it.
 */
import {
  arr,
  declarationPath,
  ecosystemOf,
  ecosystemOfPurl,
  isObject,
  maxScore,
  requireObject,
  severityOf,
  str,
  text,
} from '../common.ts';
import { formatPath, walkJson } from '../json-stream.ts';
import type { Importer, ParsedItem, ReportSource } from '../types.ts';
import { chooseFixedVersion, cleanVersion, splitVersions } from '../versions.ts';

const VULN = ['Results', '*', 'Vulnerabilities', '*'] as const;
const TARGET = ['Results', '*', 'Target'] as const;
const CLASS = ['Results', '*', 'Class'] as const;
const TYPE = ['Results', '*', 'Type'] as const;

/** Trivy statuses that mean the package is not vulnerable after all. */
const NOT_AFFECTED = new Set(['not_affected']);

async function* parse(source: ReportSource): AsyncGenerator<ParsedItem> {
  let result = -1;
  let target: string | null = null;
  let klass: string | null = null;
  let type: string | null = null;
  const walk = walkJson(source, {
    root: 'object',
    select: [VULN, TARGET, CLASS, TYPE],
    shape: [
      { path: ['Results'], type: 'array' },
      { path: ['Results', '*'], type: 'object' },
      { path: ['Results', '*', 'Vulnerabilities'], type: 'array' },
    ],
  });
  for await (const { selector, path, value, line } of walk) {
    const index = path[1] as number;
    if (index !== result) {
      result = index;
      target = klass = type = null;
    }
    if (selector === 1) target = str(value);
    else if (selector === 2) klass = str(value);
    else if (selector === 3) type = str(value);
    else yield toItem(requireObject(value, formatPath(path), line), formatPath(path), { target, klass, type });
  }
}

function toItem(v: Record<string, unknown>, path: string, result: { target: string | null; klass: string | null; type: string | null }): ParsedItem {
  const id = str(v.VulnerabilityID);
  const packageName = str(v.PkgName);
  const installed = str(v.InstalledVersion);
  if (!packageName) return { type: 'skip', reason: 'missing-package', path };
  if (!id) return { type: 'skip', reason: 'missing-advisory-id', path };
  if (!installed) return { type: 'skip', reason: 'missing-version', path };
  const status = str(v.Status)?.toLowerCase() ?? null;
  if (status && NOT_AFFECTED.has(status)) return { type: 'skip', reason: 'not-affected', path };
  const identifier = isObject(v.PkgIdentifier) ? v.PkgIdentifier : {};
  const ecosystem = ecosystemOfPurl(str(identifier.PURL)) ?? ecosystemOf(result.type) ?? 'unknown';
  const cvss = isObject(v.CVSS) ? v.CVSS : {};
  const preferred = str(v.SeveritySource);
  const sources = Object.entries(cvss).sort(([a], [b]) => Number(b === preferred) - Number(a === preferred) || Number(b === 'nvd') - Number(a === 'nvd'));
  const first = sources.map(([, s]) => (isObject(s) ? (s.V3Score ?? s.V40Score ?? s.V2Score) : null)).find((s) => typeof s === 'number');
  const cvssScore = first === undefined ? maxScore([]) : maxScore([first]);
  const installedVersion = cleanVersion(ecosystem, installed);
  const manifest = result.klass === 'lang-pkgs' ? declarationPath(str(v.PkgPath) ?? result.target) : declarationPath(str(v.PkgPath));
  return {
    type: 'finding',
    finding: {
      kind: 'package',
      ecosystem,
      packageName,
      installedVersion,
      fixedVersion: chooseFixedVersion(ecosystem, installedVersion, splitVersions(str(v.FixedVersion))),
      advisoryIds: [id, ...arr(v.VendorIDs).map(str).filter((x): x is string => x !== null)],
      title: str(v.Title) ?? `${id} in ${packageName}`,
      description: text(v.Description),
      severity: severityOf(v.Severity),
      cvssScore,
      manifestPath: manifest,
      status: 'open',
      path,
    },
  };
}

export const trivyImporter: Importer = {
  format: 'trivy',
  label: 'Trivy JSON',
  detect(head) {
    if (/"SchemaVersion"\s*:/.test(head) && /"(Results|ArtifactName|ArtifactType)"\s*:/.test(head)) return 0.95;
    if (/"Results"\s*:\s*\[\s*\{\s*"Target"/.test(head)) return 0.8;
    return 0;
  },
  parse,
};
