/**
 * The ticketing interface (src/providers/ticketing) for ServiceNow's Table API, over the ServiceNow
 * client: records in the connection's table (default `incident`), `correlation_id` as our dedupe key
 * (the fingerprint label; the Table API reads its own writes, so no consistency window), no bulk
 * create (createMany runs the creates concurrently; the client's limiter keeps them within the
 * rate limit), impact/urgency from severity (ServiceNow computes priority), states by code through the
 * mapping rows, work notes as comments (a once-key is remembered as a marker in the note and looked
 * up in sys_journal_field), and a URL "link" as a work note, since records have no remote links.
 */
import { createHash } from 'node:crypto';
import { fingerprintLabel } from '../../domain/fingerprint.ts';
import { type InternalState, type MappingRow, stateFor } from '../../domain/mapping.ts';
import type { ConnectionTarget } from '../descriptor/connection.ts';
import type { CreateItemResult, DraftResult, MappingValueProblem, RequestPreview, TicketDraft, TicketingClient, TicketingDeps, TicketingProvider, TicketRef, TicketState, TicketSubject, TicketUpdateField } from '../ticketing/types.ts';
import { createServiceNowClient, displayOf, encodeQueryValue, valueOf } from './client.ts';
import { servicenowTargetOf } from './connection.ts';
import { ServiceNowError } from './errors.ts';
import { activeChoices, type ChoiceValue } from './choices.ts';
import { assigneeFor, assignmentGroupFor, createAssignmentResolver, needsDisplayInput } from './assignment.ts';
import { impactUrgencyFor, parseImpactUrgency, priorityLabel, priorityOf } from './priority.ts';
import { descriptionFor, shortDescriptionFor } from './render.ts';
import { INCIDENT_STATES, stateChangeFor } from './states.ts';
import type { ServiceNowRecord } from './types.ts';

const PROVIDER = 'servicenow';
const SYS_ID = /^[0-9a-f]{32}$/;

/** A marker for a once-only note: a hash, so any once-key is safe inside an encoded query. */
function markerOf(onceKey: string): string {
  return `[isc:${createHash('sha256').update(onceKey).digest('hex').slice(0, 20)}]`;
}

export function createServiceNowTicketing(connection: ConnectionTarget, deps: TicketingDeps): TicketingClient {
  const target = servicenowTargetOf(connection);
  const table = target.table;
  const client = createServiceNowClient(target, {
    http: deps.http,
    sharedState: deps.sharedState,
    logger: deps.logger.child({ component: 'servicenow', connection_id: connection.connectionId }),
    limits: { timeoutMs: deps.timeoutMs },
  });
  let verified: Promise<{ accountId: string | null }> | null = null;
  const assignment = createAssignmentResolver(client);

  const refOf = (record: ServiceNowRecord): TicketRef => ({ id: record.sysId, key: record.number || record.sysId, url: record.url });
  const stateOf = (record: ServiceNowRecord): TicketState => {
    const state = record.fields.state;
    return {
      ref: refOf(record),
      status: { name: displayOf(state) || valueOf(state), category: valueOf(state) || null },
      priority: displayOf(record.fields.priority) || valueOf(record.fields.priority) || null,
      updated: valueOf(record.fields.sys_updated_on) || null,
    };
  };

  /** A record by sys_id or number. */
  async function find(idOrKey: string): Promise<ServiceNowRecord> {
    if (SYS_ID.test(idOrKey)) return client.get(table, idOrKey, { displayValue: 'all' });
    const [record] = await client.list(table, { query: `number=${encodeQueryValue(idOrKey)}`, pageSize: 1, maxRecords: 1, displayValue: 'all' });
    if (!record) throw new ServiceNowError('TICKET_NOT_FOUND', `no ${table} record ${idOrKey} is visible to this connection`, { status: 404 });
    return record;
  }

  async function noted(sysId: string, marker: string): Promise<boolean> {
    const found = await client.list('sys_journal_field', { query: `element_id=${sysId}^valueLIKE${encodeQueryValue(marker)}`, pageSize: 1, maxRecords: 1, fields: ['sys_id'] });
    return found.length > 0;
  }

  async function noteOnce(idOrKey: string, text: string, onceKey: string | undefined): Promise<boolean> {
    const record = await find(idOrKey);
    if (!onceKey) {
      await client.addWorkNote(table, record.sysId, text);
      return true;
    }
    const marker = markerOf(onceKey);
    if (await noted(record.sysId, marker)) return false;
    await client.addWorkNote(table, record.sysId, `${text}\n${marker}`);
    return true;
  }

  return {
    provider: PROVIDER,
    capabilities: { maxCreateBatch: 1, searchLags: false, remoteLinks: false, descriptionFormat: 'text' },
    consistencyWindowMs: 0,

    verify() {
      // One read of the table proves the instance is awake and the credentials may use it.
      verified ??= client.list(table, { pageSize: 1, maxRecords: 1, fields: ['sys_id'] }).then(async () => {
        const credential = await target.credentials.current();
        return { accountId: credential.kind === 'basic' ? credential.username : target.credentials.key };
      });
      return verified;
    },
    markVerified() {
      verified ??= Promise.resolve({ accountId: null });
    },

    async draft(subjects, options, rows: MappingRow[]) {
      // References are verified before anything is filed: ServiceNow would store an unknown one silently.
      const assignedTo = options.assignee ? await assignment.user(options.assignee) : null;
      const results: DraftResult[] = [];
      for (const subject of subjects) {
        const pair = impactUrgencyFor(rows, subject.severity);
        const dedupeKey = fingerprintLabel(subject.fingerprint);
        const groupValue = assignmentGroupFor(rows, subject.severity, subject.finding.kind);
        const group = groupValue ? await assignment.group(groupValue) : null;
        // The request's assignee wins; else the connection's assignee row for this finding.
        const mappedAssignee = assignedTo ? null : assigneeFor(rows, subject.severity, subject.finding.kind);
        const assignee = assignedTo ?? (mappedAssignee ? await assignment.mappedUser(mappedAssignee) : null);
        const fields: Record<string, unknown> = {
          short_description: shortDescriptionFor(subject.finding),
          description: descriptionFor(subject.finding).text,
          impact: pair.impact,
          urgency: pair.urgency,
          correlation_id: dedupeKey,
          ...(group ? { assignment_group: group.value } : {}),
          ...(assignee ? { assigned_to: assignee } : {}),
          ...(options.customFields ?? {}),
        };
        results.push({ ok: true, draft: { findingId: subject.findingId, fingerprint: subject.fingerprint, dedupeKey, container: table, fields } });
      }
      return { results, notes: [] };
    },

    draftFromPayload(subject, payload) {
      const dedupeKey = fingerprintLabel(subject.fingerprint);
      return { findingId: subject.findingId, fingerprint: subject.fingerprint, dedupeKey, container: table, fields: { ...payload, correlation_id: dedupeKey } };
    },

    renderDescription(finding) {
      return descriptionFor(finding).text;
    },

    async createMany(drafts: TicketDraft[]) {
      // No bulk create in the Table API: concurrent creates, bounded by the client's limiter.
      return Promise.all(
        drafts.map(async (draft): Promise<CreateItemResult> => {
          try {
            // A group given by name is stored by its sys_id only with sysparm_input_display_value=true.
            const options = needsDisplayInput(draft.fields) ? { inputDisplayValue: true } : undefined;
            return { ok: true, ref: refOf(await client.create(draft.container || table, draft.fields, options)) };
          } catch (error) {
            const known = error instanceof ServiceNowError;
            return { ok: false, error: error as Error, notCreated: known && !error.outcomeUnknown && error.upstreamStatus >= 400 && error.upstreamStatus < 500 };
          }
        }),
      );
    },

    async findByDedupeKey(keys) {
      const found = new Map<string, TicketRef>();
      for (const key of keys) {
        if (found.has(key.dedupeKey)) continue;
        const [oldest] = await client.findByCorrelationId(key.container || table, key.dedupeKey, { fields: ['sys_id', 'number'] });
        if (oldest) found.set(key.dedupeKey, refOf(oldest));
      }
      return found;
    },

    async get(idOrKey): Promise<TicketState> {
      return stateOf(await find(idOrKey));
    },

    async listChangedSince(since, limit) {
      // sys_updated_on is UTC "yyyy-MM-dd HH:mm:ss" in the Table API's encoded queries.
      const stamp = since.toISOString().slice(0, 19).replace('T', ' ');
      const records = await client.list(table, {
        query: `sys_updated_on>=${stamp}^correlation_idISNOTEMPTY^ORDERBYsys_updated_on`,
        pageSize: Math.min(limit, 100),
        maxRecords: limit,
        displayValue: 'all',
      });
      return records.map(stateOf);
    },

    async updateFields(idOrKey, fields) {
      const record = await find(idOrKey);
      await client.update(table, record.sysId, fields);
    },

    async updateFromFinding(idOrKey, subject: TicketSubject, wanted: readonly TicketUpdateField[], rows: MappingRow[], options = {}) {
      const fields: Record<string, unknown> = {};
      const pair = impactUrgencyFor(rows, subject.severity);
      if (wanted.includes('priority')) Object.assign(fields, { impact: pair.impact, urgency: pair.urgency });
      if (wanted.includes('summary')) fields.short_description = shortDescriptionFor(subject.finding);
      // due_date is a glide_date_time (UTC in the Table API); empty clears it.
      if (wanted.includes('due_date')) fields.due_date = subject.dueDate ? `${subject.dueDate} 00:00:00` : '';
      if (Object.keys(fields).length === 0) return { priority: null };
      const record = await find(idOrKey);
      await options.beforeWrite?.({ priority: wanted.includes('priority') ? priorityLabel(priorityOf(pair)) : null });
      await client.update(table, record.sysId, fields, { fields: ['sys_id'] });
      if (!wanted.includes('priority')) return { priority: null };
      // ServiceNow computes priority from the pair: read what it shows, as its webhooks will report it.
      const after = (await client.get(table, record.sysId, { displayValue: 'all', fields: ['priority'] })).fields.priority;
      return { priority: displayOf(after) || valueOf(after) || null };
    },

    async transition(idOrKey, to: InternalState, rows: MappingRow[]) {
      const record = await find(idOrKey);
      const state = record.fields.state;
      const name = displayOf(state) || valueOf(state);
      if (stateFor(rows, name, valueOf(state)) === to) return { changed: false, status: name };
      // ServiceNow sets any state directly (no workflow transitions); closing writes the close fields.
      const change = stateChangeFor(rows, to, { table });
      await client.update(table, record.sysId, change.fields, { fields: ['sys_id'] });
      const after = (await client.get(table, record.sysId, { displayValue: 'all', fields: ['state'] })).fields.state;
      return { changed: true, status: displayOf(after) || valueOf(after) };
    },

    async comment(idOrKey, body, options = {}) {
      const links = (body.links ?? []).map((link) => `${link.text}: ${link.url}`);
      const posted = await noteOnce(idOrKey, [body.text, ...links].join('\n'), options.onceKey);
      return { posted, id: null };
    },

    async linkUrl(idOrKey, link) {
      await noteOnce(idOrKey, `${link.title}: ${link.url}${link.summary ? `\n${link.summary}` : ''}`, `link:${link.url}`);
    },

    async validateMappingValues(rows: MappingRow[]): Promise<MappingValueProblem[]> {
      const problems: MappingValueProblem[] = [];
      const problem = (row: MappingRow, field: 'source' | 'target', message: string) => problems.push({ kind: row.kind, source: row.source, field, value: row[field], message });
      let closeCodes: Promise<ChoiceValue[]> | undefined;
      for (const row of rows) {
        if (row.kind === 'assignment_group') {
          try {
            await assignment.group(row.target.trim());
          } catch (error) {
            if (!(error instanceof ServiceNowError) || error.code !== 'PROVIDER_FIELD_REJECTED') throw error;
            problem(row, 'target', `ServiceNow has no active group "${row.target}" in sys_user_group (by name or sys_id)`);
          }
        } else if (row.kind === 'assignee') {
          try {
            await assignment.mappedUser(row.target.trim());
          } catch (error) {
            if (!(error instanceof ServiceNowError) || error.code !== 'PROVIDER_FIELD_REJECTED') throw error;
            problem(row, 'target', `ServiceNow has no active user "${row.target}" in sys_user (by sys_id, user_name or email)`);
          }
        } else if (row.kind === 'priority') {
          if (!parseImpactUrgency(row.target)) problem(row, 'target', `"${row.target}" is not an impact/urgency pair (e.g. 2/3), a priority number (1-5) or name (Critical, High, Moderate, Low, Planning)`);
        } else if (row.kind === 'status' && table === 'incident' && row.source.trim().toLowerCase() !== 'default') {
          const wanted = row.source.trim().toLowerCase();
          const known = Object.entries(INCIDENT_STATES).some(([value, label]) => value === wanted || label.toLowerCase() === wanted);
          if (!known) problem(row, 'source', `incidents have no state "${row.source}" (they have: ${Object.entries(INCIDENT_STATES).map(([value, label]) => `${value} ${label}`).join(', ')})`);
        } else if (row.kind === 'close_code') {
          // stateChangeFor writes the value as it is: it must be one of the field's active choices.
          closeCodes ??= activeChoices(client, table, 'close_code');
          const choices = await closeCodes;
          const given = row.target.trim();
          if (!choices.some((choice) => choice.value === given)) {
            const byLabel = choices.find((choice) => choice.label.toLowerCase() === given.toLowerCase() || choice.value.toLowerCase() === given.toLowerCase());
            const listed = choices.length === 0 ? 'none' : choices.slice(0, 25).map((choice) => choice.value).join(', ') + (choices.length > 25 ? ', …' : '');
            problem(
              row,
              'target',
              byLabel
                ? `"${row.target}" is not a ${table} close code value; the choice is stored as "${byLabel.value}"`
                : `ServiceNow has no active close code "${row.target}" for ${table} (sys_choice ${table}.close_code has: ${listed})`,
            );
          }
        }
      }
      return problems;
    },

    previewRequests(drafts): RequestPreview[] {
      const authorization = target.credentials.kind === 'basic' ? 'Basic ***' : 'Bearer ***';
      const headers = { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: authorization };
      return drafts.map((draft) => ({
        method: 'POST',
        url: `${target.instanceUrl.replace(/\/+$/, '')}/api/now/table/${draft.container || table}${needsDisplayInput(draft.fields) ? '?sysparm_input_display_value=true' : ''}`,
        headers,
        body: draft.fields,
      }));
    },
  };
}

export const servicenowTicketing: TicketingProvider = {
  create: (target, deps) => createServiceNowTicketing(target, deps),
  // Records go to the connection's table: no project or issue type rows.
  mappingKinds: ['status', 'priority', 'assignment_group', 'assignee', 'close_code'],
};

