/**
 * createServiceNowClient: the Table API for one connection. Records of any table; lists follow the
 * Link header's rel="next"; journal fields (work notes, comments) are written with a PATCH of the
 * field; exactly-once creates key on `correlation_id` (our stable finding key).
 */
import { attributeTo } from '../../errors/coded-error.ts';
import { type CallSubject, PROVIDER, ServiceNowError } from './errors.ts';
import { processLimiters } from './limiter.ts';
import { createServiceNowTransport, DEFAULT_LIMITS, tablePath, type ServiceNowTransport } from './transport.ts';
import type {
  CreateOnceResult,
  ListOptions,
  ReadOptions,
  ServiceNowClient,
  ServiceNowClientDeps,
  ServiceNowFields,
  ServiceNowGroup,
  ServiceNowRecord,
  ServiceNowTarget,
  ServiceNowUser,
  WriteOptions,
} from './types.ts';

const DEFAULT_PAGE_SIZE = 1000;
const DEFAULT_MAX_RECORDS = 10_000;

/** A field's plain value: strings as they are, `{value}` of a reference or display object, else ''. */
export function valueOf(field: unknown): string {
  if (typeof field === 'string') return field;
  if (field && typeof field === 'object') {
    const object = field as { value?: unknown; display_value?: unknown };
    if (typeof object.value === 'string') return object.value;
    if (typeof object.display_value === 'string') return object.display_value;
  }
  return '';
}

/** A field's display value (`display_value` in display modes, else the value). */
export function displayOf(field: unknown): string {
  if (field && typeof field === 'object' && typeof (field as { display_value?: unknown }).display_value === 'string') return (field as { display_value: string }).display_value;
  return valueOf(field);
}

/** `sysparm_*` read parameters. */
function readQuery(options: ReadOptions | undefined): Record<string, string | undefined> {
  return {
    sysparm_fields: options?.fields && options.fields.length > 0 ? options.fields.join(',') : undefined,
    sysparm_display_value: options?.displayValue === undefined ? undefined : String(options.displayValue),
    sysparm_exclude_reference_link: options?.excludeReferenceLink ? 'true' : undefined,
  };
}

function writeQuery(options: WriteOptions | undefined): Record<string, string | undefined> {
  return {
    sysparm_input_display_value: options?.inputDisplayValue ? 'true' : undefined,
    sysparm_fields: options?.fields && options.fields.length > 0 ? options.fields.join(',') : undefined,
  };
}

/** The `rel="next"` URL of a Link header, if any. */
export function nextLink(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (match && /\brel\s*=\s*"?next"?/i.test(match[2] ?? '')) return match[1] ?? null;
  }
  return null;
}

/** Encoded-query values cannot carry `^` unescaped: ServiceNow reads `^^` as a literal caret. */
export function encodeQueryValue(value: string): string {
  return value.replace(/\^/g, '^^');
}

export function createServiceNowClient(target: ServiceNowTarget, deps: ServiceNowClientDeps): ServiceNowClient {
  const transport = createServiceNowTransport(target, {
    http: deps.http,
    sharedState: deps.sharedState,
    logger: deps.logger,
    limiters: deps.limiters ?? processLimiters,
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
  });
  const client = createUnattributed(target, transport);
  // Every error a call raises names its provider.
  const wrapped: Record<string, unknown> = { target };
  for (const [name, value] of Object.entries(client)) {
    if (typeof value !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (value as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (error) {
        throw attributeTo(error, PROVIDER);
      }
    };
  }
  return wrapped as unknown as ServiceNowClient;
}

function createUnattributed(target: ServiceNowTarget, transport: ServiceNowTransport): ServiceNowClient {
  const recordOf = (table: string, raw: unknown): ServiceNowRecord => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ServiceNowError('PROVIDER_BAD_RESPONSE', `ServiceNow answered a ${table} record that is not an object: check the instance URL`);
    }
    const fields = raw as ServiceNowFields;
    const sysId = valueOf(fields.sys_id);
    return {
      sysId,
      number: valueOf(fields.number),
      url: sysId ? `${transport.instanceUrl}/nav_to.do?uri=${encodeURIComponent(`${table}.do?sys_id=${sysId}`)}` : '',
      table,
      fields,
    };
  };

  const single = async (table: string, call: Parameters<ServiceNowTransport['json']>[0]): Promise<ServiceNowRecord> => {
    const { body } = await transport.json<{ result?: unknown }>(call);
    return recordOf(table, body.result);
  };

  const onRecord = (action: string, table: string, sysId: string, write?: boolean): CallSubject => ({
    action: `${action} ${table} record ${sysId}`,
    table,
    sysId,
    notFound: 'record',
    ...(write === undefined ? {} : { write }),
  });

  async function list(table: string, options: ListOptions = {}): Promise<ServiceNowRecord[]> {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const max = options.maxRecords ?? DEFAULT_MAX_RECORDS;
    const out: ServiceNowRecord[] = [];
    const subject: CallSubject = { action: `list ${table} records`, table, notFound: 'other', write: false };
    let next: { path: string; query?: Record<string, string | number | undefined> } | null = {
      path: tablePath(table),
      query: { ...readQuery(options), sysparm_query: options.query || undefined, sysparm_limit: Math.min(pageSize, max), sysparm_offset: 0 },
    };
    while (next && out.length < max) {
      // A v1-style empty result is a 404: an empty list, not an error.
      const page: { body: { result?: unknown }; response: { status: number; headers: Record<string, string> } } = await transport.json<{ result?: unknown }>({
        method: 'GET',
        ...next,
        subject,
        accept: [404],
      });
      const { body, response } = page;
      if (response.status === 404) break;
      const rows: unknown[] = Array.isArray(body.result) ? body.result : [];
      for (const row of rows) if (out.length < max) out.push(recordOf(table, row));
      const link = nextLink(response.headers.link);
      next = link && rows.length > 0 ? { path: link } : null;
    }
    return out;
  }

  async function findByCorrelationId(table: string, key: string, options: ReadOptions = {}): Promise<ServiceNowRecord[]> {
    if (key === '') throw new TypeError('a correlation id is needed');
    return list(table, { ...options, query: `correlation_id=${encodeQueryValue(key)}^ORDERBYsys_created_on`, pageSize: 100, maxRecords: 100 });
  }

  async function create(table: string, fields: ServiceNowFields, options?: WriteOptions): Promise<ServiceNowRecord> {
    return single(table, {
      method: 'POST',
      path: tablePath(table),
      query: writeQuery(options),
      body: fields,
      subject: { action: `create a record in ${table}`, table, notFound: 'other', write: true },
    });
  }

  async function journal(table: string, sysId: string, field: 'work_notes' | 'comments', text: string): Promise<void> {
    if (text.trim() === '') throw new TypeError(`an empty ${field === 'work_notes' ? 'work note' : 'comment'} is not an entry`);
    await transport.call({
      method: 'PATCH',
      path: tablePath(table, sysId),
      query: { sysparm_fields: 'sys_id' },
      body: { [field]: text },
      // Appends a journal entry: a resend after a lost answer would add it twice.
      subject: onRecord(field === 'work_notes' ? 'add a work note to' : 'comment on', table, sysId, true),
      idempotent: false,
    });
  }

  return {
    target,
    create,

    async createOnce(table, key, fields, options = {}): Promise<CreateOnceResult> {
      const maxAttempts = options.maxAttempts ?? 3;
      const body = { ...fields, correlation_id: key };
      const readBack = options.fields ? { fields: options.fields } : {};
      let reconciled = 0;
      if (options.lookupFirst !== false) {
        const [existing] = await findByCorrelationId(table, key, readBack);
        if (existing) return { record: existing, created: false, reconciled };
      }
      for (let attempt = 1; ; attempt++) {
        try {
          return { record: await create(table, body, options), created: true, reconciled };
        } catch (error) {
          const unknown = error instanceof ServiceNowError && error.outcomeUnknown;
          if (!unknown || attempt >= maxAttempts) throw error;
          // The create may have been stored before the answer was lost: look before resending.
          reconciled++;
          transport.logger.info({ table, attempt }, 'servicenow create: outcome unknown, looking the correlation id up before resending');
          const [existing] = await findByCorrelationId(table, key, readBack);
          if (existing) return { record: existing, created: false, reconciled };
        }
      }
    },

    async get(table, sysId, options) {
      return single(table, { method: 'GET', path: tablePath(table, sysId), query: readQuery(options), subject: onRecord('read', table, sysId, false) });
    },

    async update(table, sysId, fields, options) {
      if ('work_notes' in fields || 'comments' in fields) throw new TypeError('journal fields are written with addWorkNote/addComment (an update is resent, a journal entry must not be)');
      return single(table, {
        method: 'PATCH',
        path: tablePath(table, sysId),
        query: writeQuery(options),
        body: fields,
        subject: onRecord('update', table, sysId),
        // Setting fields to values: resending gives the same record.
        idempotent: true,
      });
    },

    list,
    findByCorrelationId,
    addWorkNote: (table, sysId, text) => journal(table, sysId, 'work_notes', text),
    addComment: (table, sysId, text) => journal(table, sysId, 'comments', text),

    async findGroupByName(name): Promise<ServiceNowGroup | null> {
      const rows = await list('sys_user_group', {
        query: `name=${encodeQueryValue(name)}^active=true`,
        fields: ['sys_id', 'name'],
        pageSize: 10,
        maxRecords: 10,
      });
      // Only an exact (case-insensitive) name: a clause the instance could not read is dropped silently
      // and would list other groups.
      const found = rows.find((row) => valueOf(row.fields.name).toLowerCase() === name.trim().toLowerCase());
      return found ? { sysId: found.sysId, name: valueOf(found.fields.name) } : null;
    },

    async findUserByName(userName): Promise<ServiceNowUser | null> {
      const [row] = await list('sys_user', {
        query: `user_name=${encodeQueryValue(userName)}`,
        fields: ['sys_id', 'user_name', 'name', 'email'],
        pageSize: 1,
        maxRecords: 1,
      });
      if (!row) return null;
      const email = valueOf(row.fields.email);
      return { sysId: row.sysId, userName: valueOf(row.fields.user_name), name: valueOf(row.fields.name), email: email === '' ? null : email };
    },
  };
}
