/**
 * SARIF 2.1.0 (`runs[].results[]`, the tool and its `rules` in `runs[].tool`), from two kinds of
 * producers:
 * - dependency scanners (Trivy, Grype, Snyk…): the package, installed and fixed versions sit in a
 *   purl or package properties, or in the message / rule help text (`Package: x`, `Installed
 *   Version: 1.2`, `Fixed Version: 1.3`); the advisory id in the rule id (`CVE-2021-1-lodash`)
 *   → package findings like the scanners' native formats;
 * - code analysers (CodeQL-style): a rule broken at a place → code findings (tool, rule, location;
 *   identified across scans by the result's `partialFingerprints` when present).
 * Severity: `security-severity` (a CVSS-like score, result's then rule's properties), else a
 * `severity`/`problem.severity` property, else the result's `level` (or the rule's default):
 * error → high, warning → medium, note → low. Results without a `rules` array are fine.
 */
import type { Severity } from '../../domain/severity.ts';
import {
  advisoryIdsIn,
  arr,
  declarationPath,
  ecosystemOf,
  isObject,
  looksLikeAdvisoryId,
  parsePurl,
  requireObject,
  severityOf,
  str,
  text,
  type Json,
} from '../common.ts';
import { cvssScoreOf } from '../cvss.ts';
import { formatPath, walkJson } from '../json-stream.ts';
import type { Importer, ParsedItem, ReportSource } from '../types.ts';
import { chooseFixedVersion, cleanVersion, splitVersions } from '../versions.ts';

const RESULT = ['runs', '*', 'results', '*'] as const;
const TOOL = ['runs', '*', 'tool'] as const;

interface Tool {
  name: string;
  rules: Json[];
}

async function* parse(source: ReportSource): AsyncGenerator<ParsedItem> {
  let run = -1;
  let tool: Tool = { name: 'sarif', rules: [] };
  const walk = walkJson(source, {
    root: 'object',
    select: [RESULT, TOOL],
    shape: [
      { path: ['runs'], type: 'array' },
      { path: ['runs', '*'], type: 'object' },
      { path: ['runs', '*', 'results'], type: 'array' },
    ],
  });
  for await (const { selector, path, value, line } of walk) {
    if (path[1] !== run) {
      run = path[1] as number;
      tool = { name: 'sarif', rules: [] };
    }
    if (selector === 1) {
      tool = toolOf(value);
      continue;
    }
    yield toItem(requireObject(value, formatPath(path), line), formatPath(path), tool);
  }
}

function toolOf(value: unknown): Tool {
  if (!isObject(value)) return { name: 'sarif', rules: [] };
  const driver = isObject(value.driver) ? value.driver : {};
  const extensions = arr(value.extensions).filter(isObject);
  return {
    name: str(driver.name) ?? 'sarif',
    rules: [...arr(driver.rules), ...extensions.flatMap((e) => arr(e.rules))].filter(isObject),
  };
}

const levelSeverity: Record<string, Severity> = { error: 'high', warning: 'medium', note: 'low', recommendation: 'low', none: 'info' };

function field(textValue: string, label: string): string | null {
  const match = new RegExp(`(?:^|\\n)\\s*\\**${label}\\**\\s*:\\s*\\**\\s*([^\\n]+)`, 'i').exec(textValue);
  return match ? str(match[1]!.replace(/\*+$/, '')) : null;
}

function prop(props: Json[], ...names: string[]): unknown {
  for (const p of props) for (const name of names) if (p[name] !== undefined && p[name] !== null && p[name] !== '') return p[name];
  return undefined;
}

function toItem(result: Json, path: string, tool: Tool): ParsedItem {
  const kind = str(result.kind);
  if (kind === 'pass' || kind === 'notApplicable') return { type: 'skip', reason: 'not-affected', path };
  if (arr(result.suppressions).length > 0) return { type: 'skip', reason: 'dismissed-alert', path };
  const ruleRef = isObject(result.rule) ? result.rule : {};
  const ruleId = str(result.ruleId) ?? str(ruleRef.id);
  const ruleIndex = typeof result.ruleIndex === 'number' ? result.ruleIndex : typeof ruleRef.index === 'number' ? ruleRef.index : -1;
  const rule = tool.rules[ruleIndex] ?? tool.rules.find((r) => ruleId !== null && str(r.id) === ruleId) ?? {};
  const props = [result.properties, rule.properties].filter(isObject);
  const message = isObject(result.message) ? (str(result.message.text) ?? str(result.message.markdown)) : null;
  const help = isObject(rule.help) ? str(rule.help.text) : null;
  const short = isObject(rule.shortDescription) ? str(rule.shortDescription.text) : null;
  const full = isObject(rule.fullDescription) ? str(rule.fullDescription.text) : null;
  const texts = [message, help].filter((t): t is string => t !== null).join('\n');

  const location = arr(result.locations).filter(isObject)[0] ?? {};
  const physical = isObject(location.physicalLocation) ? location.physicalLocation : {};
  const artifact = isObject(physical.artifactLocation) ? physical.artifactLocation : {};
  const region = isObject(physical.region) ? physical.region : {};
  const uri = str(artifact.uri);
  const startLine = typeof region.startLine === 'number' ? region.startLine : null;
  const logical = arr(location.logicalLocations).filter(isObject).map((l) => str(l.fullyQualifiedName) ?? str(l.name));

  const securitySeverity = cvssScoreOf(prop(props, 'security-severity', 'securitySeverity', 'cvssScore', 'cvss'));
  const severity = severityOf(prop(props, 'severity', 'problem.severity')) ?? severityOf(field(texts, 'Severity'));
  const level = str(result.level) ?? (isObject(rule.defaultConfiguration) ? str(rule.defaultConfiguration.level) : null);

  // A dependency result: the package named by a purl, package properties or the text.
  const purlText = str(prop(props, 'purl', 'packageUrl', 'package_url')) ?? logical.find((l) => l?.startsWith('pkg:')) ?? null;
  const purl = parsePurl(purlText);
  const packageName = purl?.name ?? str(prop(props, 'packageName', 'package_name', 'package')) ?? field(texts, 'Package');
  const installed =
    purl?.version ?? str(prop(props, 'installedVersion', 'installed_version', 'packageVersion', 'version')) ?? field(texts, 'Installed Version') ?? field(texts, 'Version');
  const idsFromRule = ruleId ? advisoryIdsIn(ruleId) : [];
  const advisoryIds = idsFromRule.length > 0 ? idsFromRule : advisoryIdsIn(field(texts, 'Vulnerability') ?? message).slice(0, 1);
  if (packageName && advisoryIds.length > 0) {
    if (!installed) return { type: 'skip', reason: 'missing-version', path };
    const manifest = declarationPath(uri);
    const ecosystem =
      purl?.ecosystem ?? ecosystemOf(str(prop(props, 'ecosystem', 'packageType')) ?? field(texts, 'Type')) ?? ecosystemOfDeclaration(manifest) ?? 'unknown';
    const installedVersion = cleanVersion(ecosystem, installed);
    const fixes = splitVersions(str(prop(props, 'fixedVersion', 'fixed_version', 'fixVersion')) ?? field(texts, 'Fixed Version') ?? field(texts, 'Fix Version'));
    return {
      type: 'finding',
      finding: {
        kind: 'package',
        ecosystem,
        packageName,
        installedVersion,
        fixedVersion: chooseFixedVersion(ecosystem, installedVersion, fixes),
        advisoryIds,
        title: short && !looksLikeAdvisoryId(short) ? short : `${advisoryIds[0]} in ${packageName}`,
        description: text(full ?? message),
        severity: severity ?? (securitySeverity === null && level ? (levelSeverity[level] ?? null) : null),
        cvssScore: securitySeverity,
        manifestPath: manifest,
        status: 'open',
        path,
      },
    };
  }
  if (!ruleId) return { type: 'skip', reason: 'missing-advisory-id', path };
  const fingerprints = [result.partialFingerprints, result.fingerprints].filter(isObject);
  const stable = fingerprints.map((f) => str(Object.values(f)[0])).find((f) => f !== null) ?? null;
  const where = uri ? `${uri}${startLine === null ? '' : `:${startLine}`}` : (logical.find((l) => l !== null) ?? '');
  return {
    type: 'finding',
    finding: {
      kind: 'code',
      tool: tool.name,
      ruleId,
      location: where ?? '',
      locationKey: stable ? `${uri ?? ''}#${stable}` : (where ?? ''),
      title: `${short ?? ruleId}${where ? ` at ${where}` : ''}`,
      description: text([message, full].filter(Boolean).join('\n\n')),
      severity: severity ?? (securitySeverity === null ? (levelSeverity[level ?? 'warning'] ?? 'medium') : null),
      cvssScore: securitySeverity,
      status: 'open',
      path,
    },
  };
}

function ecosystemOfDeclaration(path: string | null): string | null {
  if (!path) return null;
  const name = path.split('/').at(-1)!;
  if (/^(package(-lock)?\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml)$/.test(name)) return 'npm';
  if (/requirements.*\.(txt|in)$|^Pipfile(\.lock)?$|^poetry\.lock$|^pyproject\.toml$/.test(name)) return 'pip';
  if (/^go\.(mod|sum)$/.test(name)) return 'gomod';
  if (name === 'pom.xml') return 'maven';
  if (/\.gradle(\.kts)?$|^gradle\.lockfile$/.test(name)) return 'gradle';
  if (/^Gemfile(\.lock)?$|^gems\.(rb|locked)$/.test(name)) return 'bundler';
  if (/^Cargo\.(toml|lock)$/.test(name)) return 'cargo';
  if (/^composer\.(json|lock)$/.test(name)) return 'composer';
  return null;
}

export const sarifImporter: Importer = {
  format: 'sarif',
  label: 'SARIF 2.1.0',
  detect(head) {
    if (/"\$schema"\s*:\s*"[^"]*sarif/i.test(head)) return 0.95;
    if (/"runs"\s*:\s*\[/.test(head) && /"version"\s*:\s*"2\.1\.0"/.test(head)) return 0.9;
    if (/"runs"\s*:\s*\[\s*\{\s*"(tool|results)"/.test(head)) return 0.7;
    return 0;
  },
  parse,
};
