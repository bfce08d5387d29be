/** What a ticket is planned from: a stored finding (and its audit case's name), with its SLA due date. */
import type { Severity } from '../../domain/mapping.ts';
import type { TicketSubject } from '../../providers/ticketing/index.ts';
import type { Finding } from '../findings.ts';
import { dueDateFor } from './sla.ts';

export function subjectOf(finding: Finding, caseName: string | null = null, now: Date = new Date()): TicketSubject {
  return {
    findingId: finding.id,
    fingerprint: finding.fingerprint,
    severity: finding.severity as Severity,
    dueDate: dueDateFor(finding.severity as Severity, now),
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
