/**
 * Records as the Table API returns them: every value a string, `""` for empty fields, references as
 * `{link, value}` (or `{display_value, link}` with `sysparm_display_value=true`, all three keys with `all`,
 * the bare value or display value with `sysparm_exclude_reference_link=true`), choices by label in display
 * mode, and journal fields as `""` (their entries live in sys_journal_field; display mode shows them the
 * way the form's activity stream does: `<date> - <user> (<label>)\n<text>`). `sysparm_fields` picks
 * (dot-walked) fields; unknown ones are left out.
 */
import { fieldOfPath, valueOfPath } from './query.ts';
import { choiceLabel, type FieldDef } from './schema.ts';
import type { ServiceNowStore, SnRecord } from './store.ts';

export type DisplayMode = 'false' | 'true' | 'all';

export interface RenderOptions {
  base: string;
  display: DisplayMode;
  fields: string[] | null;
  excludeReferenceLink: boolean;
}

export function displayMode(raw: unknown): DisplayMode {
  const value = String(raw ?? 'false').toLowerCase();
  return value === 'true' || value === 'all' ? value : 'false';
}

function userDisplayName(store: ServiceNowStore, userName: string): string {
  const account = store.accounts.get(userName);
  return account ? store.displayValueOf('sys_user', account.sysId) || userName : userName;
}

function journalText(store: ServiceNowStore, record: SnRecord, elements: string[]): string {
  const table = store.table(record.table);
  return store
    .journal(record.values.sys_id ?? '')
    .filter((entry) => elements.includes(entry.values.element ?? ''))
    .map((entry) => {
      const label = table?.fields.get(entry.values.element ?? '')?.label ?? entry.values.element;
      return `${entry.values.sys_created_on} - ${userDisplayName(store, entry.values.sys_created_by ?? '')} (${label})\n${entry.values.value}\n\n`;
    })
    .join('');
}

function renderValue(store: ServiceNowStore, record: SnRecord, field: FieldDef, path: string, options: RenderOptions): unknown {
  const { display, excludeReferenceLink } = options;
  if (field.type === 'journal' || field.type === 'journal_list') {
    const holder = path.includes('.') ? null : record;
    const text = holder ? journalText(store, holder, field.type === 'journal' ? [field.name] : ['comments', 'work_notes']) : '';
    if (display === 'false') return '';
    return display === 'true' ? text : { display_value: text, value: '' };
  }
  const raw = valueOfPath(store, record, path);
  if (field.type === 'reference' && field.reference) {
    const shown = raw === '' ? '' : store.displayValueOf(field.reference, raw) || raw;
    if (display === 'all') {
      if (raw === '' || excludeReferenceLink) return { display_value: shown, value: raw };
      return { display_value: shown, link: `${options.base}/api/now/table/${field.reference}/${raw}`, value: raw };
    }
    if (raw === '') return '';
    const link = `${options.base}/api/now/table/${field.reference}/${raw}`;
    if (display === 'true') return excludeReferenceLink ? shown : { display_value: shown, link };
    return excludeReferenceLink ? raw : { link, value: raw };
  }
  const shown = field.type === 'choice' ? choiceLabel(field, raw) : raw;
  if (display === 'false') return raw;
  return display === 'true' ? shown : { display_value: shown, value: raw };
}

export function renderRecord(store: ServiceNowStore, record: SnRecord, options: RenderOptions): Record<string, unknown> {
  const table = store.table(record.table)!;
  const paths = options.fields ?? [...table.fields.keys()];
  const out: Record<string, unknown> = {};
  for (const path of paths) {
    const field = fieldOfPath(store, record.table, path);
    if (!field) continue;
    out[path] = renderValue(store, record, field, path, options);
  }
  return out;
}

export function fieldsParam(raw: unknown): string[] | null {
  if (raw === undefined || raw === null || String(raw).trim() === '') return null;
  return String(raw)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
