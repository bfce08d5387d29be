/** What the Jira description builder needs from a stored finding (and its audit case's name). */
import type { Severity } from '../../domain/mapping.ts';
import type { Finding } from '../findings.ts';
import type { TicketSubject } from './ticket-service.ts';

export function subjectOf(finding: Finding, caseName: string | null = null): TicketSubject {
  return {
    findingId: finding.id,
    fingerprint: finding.fingerprint,
    severity: finding.severity as Severity,
    finding: {
      kind: finding.kind as 'vulnerability' | 'violation',
      title: finding.title,
      description: finding.description,
      severity: finding.severity,
      ecosystem: finding.ecosystem,
      packageName: finding.packageName,
      installedVersion: finding.installedVersion,
      fixedVersion: finding.fixedVersion,
      advisoryIds: finding.advisoryIds,
      cvssScore: finding.cvssScore,
      repoUrl: finding.repoUrl,
      manifestPath: finding.manifestPath,
      framework: finding.framework,
      controlId: finding.controlId,
      caseName,
      fingerprint: finding.fingerprint,
    },
  };
}
