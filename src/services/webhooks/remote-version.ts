/**
 * Which of two reports of a ticket is newer. Providers do not promise delivery order: Jira sends
 * webhooks concurrently and retries failed ones later, ServiceNow's Business Rules post as records
 * are saved, and a sync may read a ticket just before a change and apply it just after that change's
 * webhook. Without an order, an older report applied last would leave the ticket (and its finding)
 * in a state the provider has already left.
 *
 * A report's version is the provider's modification time of what it reports (Jira
 * `issue.fields.updated`, else the event's `timestamp`; ServiceNow `sys_updated_on`), with a
 * sequence for changes of the same instant (Jira's changelog id, ServiceNow's `sys_mod_count`). The
 * ticket keeps the newest version applied; a report older than it is not applied. When either side
 * has no version, or the times tie and either has no sequence, the order cannot be told and the
 * report is applied, as it was before versions were kept.
 */

export interface RemoteVersion {
  at: Date;
  /** Orders changes of the same instant; null when the report has none. */
  sequence: number | null;
}

/** What a ticket keeps: the newest version applied so far (both null before the first). */
export interface StoredVersion {
  remoteChangedAt: Date | null;
  remoteSequence: number | null;
}

const SERVICENOW_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
/** 2000-01-01 to 2200-01-01: anything else is not a modification time. */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2200, 0, 1);

/**
 * A provider's modification time: epoch milliseconds (Jira's `timestamp`), ISO 8601 with a zone
 * (Jira's `updated`: `2026-03-01T10:00:00.000+0000`), or ServiceNow's `yyyy-MM-dd HH:mm:ss`, which
 * the Table API and Business Rules (`getValue`) give in UTC. Null for anything else.
 */
export function providerTime(value: unknown): Date | null {
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value !== 'string') return null;
  else {
    const text = value.trim();
    const servicenow = SERVICENOW_TIME.exec(text);
    if (servicenow) {
      const [year, month, day, hour, minute, second] = servicenow.slice(1).map(Number) as [number, number, number, number, number, number];
      ms = Date.UTC(year, month - 1, day, hour, minute, second);
      // Date.UTC rolls over (month 13, February 30, second 61): such a time was not a real one.
      const date = new Date(ms);
      const back = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
      if (back.some((part, index) => part !== [year, month, day, hour, minute, second][index])) return null;
    } else if (ISO_TIME.test(text)) {
      // Jira writes the zone without a colon (+0000).
      ms = Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    } else return null;
  }
  return Number.isFinite(ms) && ms >= EARLIEST && ms < LATEST ? new Date(Math.trunc(ms)) : null;
}

/** A non-negative integer sequence (a number or its decimal digits), else null. */
export function providerSequence(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

export function remoteVersion(at: unknown, sequence?: unknown): RemoteVersion | null {
  const time = providerTime(at);
  return time ? { at: time, sequence: providerSequence(sequence) } : null;
}

/** True when the report is known to be older than what the ticket already reflects. */
export function isOlder(version: RemoteVersion | null, stored: StoredVersion): boolean {
  if (!version || !stored.remoteChangedAt) return false;
  const at = version.at.getTime();
  const storedAt = stored.remoteChangedAt.getTime();
  if (at !== storedAt) return at < storedAt;
  return version.sequence !== null && stored.remoteSequence !== null && version.sequence < stored.remoteSequence;
}

/** What the ticket keeps once the report is applied, or null when that stays as it is. */
export function advancedVersion(version: RemoteVersion | null, stored: StoredVersion): StoredVersion | null {
  if (!version) return null;
  const storedAt = stored.remoteChangedAt?.getTime() ?? null;
  const at = version.at.getTime();
  if (storedAt === null || at > storedAt) return { remoteChangedAt: version.at, remoteSequence: version.sequence };
  if (at < storedAt) return null;
  const sequence = version.sequence === null ? stored.remoteSequence : Math.max(version.sequence, stored.remoteSequence ?? 0);
  return sequence === stored.remoteSequence ? null : { remoteChangedAt: stored.remoteChangedAt, remoteSequence: sequence };
}

/** For a processing note: `2026-03-01T10:00:00.000Z #4`. */
export function describeVersion(version: RemoteVersion | StoredVersion): string {
  const at = 'at' in version ? version.at : version.remoteChangedAt;
  const sequence = 'at' in version ? version.sequence : version.remoteSequence;
  return `${at?.toISOString() ?? '?'}${sequence === null ? '' : ` #${sequence}`}`;
}
