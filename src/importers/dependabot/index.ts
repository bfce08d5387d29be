/**
 * GitHub Dependabot alerts as the REST API returns them: a list (`GET /repos/{o}/{r}/dependabot/alerts`,
 * `GET /orgs/{org}/dependabot/alerts`) or one alert (`…/alerts/{number}`). State `open` → a live
 * finding; `fixed` → the alert's finding is not live (a complete import then resolves it);
 * `dismissed` / `auto_dismissed` → a person or rule chose not to fix: skipped, and never resolved by
 * this import either (the finding, if any, is left as it is). The API reports no installed version:
 * the vulnerable range stands in for it; the manifest path is the alert's `dependency.manifest_path`.
 */
import { arr, declarationPath, ecosystemOf, isObject, requireObject, severityOf, str, text, type Json } from '../common.ts';
import { cvssScoreOf } from '../cvss.ts';
import { formatPath, walkJson } from '../json-stream.ts';
import type { Importer, ParsedItem, ReportSource } from '../types.ts';
import { cleanVersion } from '../versions.ts';

async function* parse(source: ReportSource): AsyncGenerator<ParsedItem> {
  // An array of alerts (each element selected), or one alert (the root object selected whole).
  const walk = walkJson(source, { root: 'object-or-array', select: [['*'], []], selectRootIf: 'object' });
  for await (const { path, value, line } of walk) yield toItem(requireObject(value, formatPath(path), line), formatPath(path));
}

function toItem(alert: Json, path: string): ParsedItem {
  const state = str(alert.state)?.toLowerCase() ?? 'open';
  const dependency = isObject(alert.dependency) ? alert.dependency : {};
  const pkg = isObject(dependency.package) ? dependency.package : {};
  const advisory = isObject(alert.security_advisory) ? alert.security_advisory : {};
  const vulnerability = isObject(alert.security_vulnerability) ? alert.security_vulnerability : {};
  const vulnPkg = isObject(vulnerability.package) ? vulnerability.package : {};
  const packageName = str(pkg.name) ?? str(vulnPkg.name);
  if (!packageName) return { type: 'skip', reason: 'missing-package', path };
  const ids = [
    str(advisory.ghsa_id),
    str(advisory.cve_id),
    ...arr(advisory.identifiers).map((i) => (isObject(i) ? str(i.value) : null)),
  ].filter((x): x is string => x !== null);
  if (ids.length === 0) return { type: 'skip', reason: 'missing-advisory-id', path };
  const ecosystem = ecosystemOf(str(pkg.ecosystem) ?? str(vulnPkg.ecosystem)) ?? 'unknown';
  const range = str(vulnerability.vulnerable_version_range);
  const patched = isObject(vulnerability.first_patched_version) ? str(vulnerability.first_patched_version.identifier) : null;
  const cvssV3 = isObject(advisory.cvss_severities) && isObject(advisory.cvss_severities.cvss_v3) ? advisory.cvss_severities.cvss_v3.score : undefined;
  const score = cvssScoreOf(isObject(advisory.cvss) ? advisory.cvss.score : undefined) ?? cvssScoreOf(cvssV3);
  const status = state === 'fixed' ? 'fixed' : state === 'dismissed' || state === 'auto_dismissed' ? 'dismissed' : 'open';
  return {
    type: 'finding',
    finding: {
      kind: 'package',
      ecosystem,
      packageName,
      installedVersion: range ?? 'unknown',
      fixedVersion: patched ? cleanVersion(ecosystem, patched) : null,
      advisoryIds: [...new Set(ids)],
      title: str(advisory.summary) ?? `${ids[0]} in ${packageName}`,
      description: text([str(advisory.description), str(alert.html_url)].filter(Boolean).join('\n\n')),
      severity: severityOf(vulnerability.severity) ?? severityOf(advisory.severity),
      // A zero score means "not scored" in this API.
      cvssScore: score === 0 ? null : score,
      manifestPath: declarationPath(str(dependency.manifest_path)) ?? str(dependency.manifest_path),
      status,
      path,
    },
  };
}

export const dependabotImporter: Importer = {
  format: 'dependabot',
  label: 'GitHub Dependabot alerts (REST API)',
  detect(head) {
    if (/"security_advisory"\s*:/.test(head) && /"(security_vulnerability|dependency)"\s*:/.test(head)) return 0.95;
    if (/"dependabot\/alerts\//.test(head)) return 0.8;
    return 0;
  },
  parse,
};
