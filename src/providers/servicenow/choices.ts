/**
 * A choice field's values on the instance: ServiceNow keeps them in the `sys_choice` table (one row
 * per table, field, value and language: `name` the table, `element` the field, `value`, `label`,
 * `inactive`). A table without its own choices for a field shows its parent's (`task` for incident
 * and the task-like tables we file into). ServiceNow stores any string written to a choice field
 * through the Table API without a word, so a `close_code` mapping value is checked here before it is
 * saved rather than found wrong on the first resolved incident.
 */
import { encodeQueryValue, valueOf } from './client.ts';
import type { ServiceNowClient } from './types.ts';

export interface ChoiceValue {
  value: string;
  label: string;
}

/** The active choices of `table`.`element` (the table's own rows, else `task`'s), one per value. */
export async function activeChoices(client: ServiceNowClient, table: string, element: string): Promise<ChoiceValue[]> {
  const tables = table === 'task' ? ['task'] : [table, 'task'];
  const rows = await client.list('sys_choice', {
    query: `element=${encodeQueryValue(element)}^name=${tables.map(encodeQueryValue).join('^ORname=')}^inactive=false^ORDERBYsequence`,
    fields: ['name', 'element', 'value', 'label', 'inactive'],
    pageSize: 500,
    maxRecords: 2000,
  });
  // A clause the instance could not read is dropped silently (it would list other fields' choices): compare.
  const wanted = rows.filter((row) => valueOf(row.fields.element) === element && valueOf(row.fields.inactive) !== 'true');
  const own = wanted.filter((row) => valueOf(row.fields.name) === table);
  const chosen = own.length > 0 ? own : wanted.filter((row) => valueOf(row.fields.name) === 'task');
  const byValue = new Map<string, ChoiceValue>();
  // One row per language: the values are the same, the first label is kept.
  for (const row of chosen) {
    const value = valueOf(row.fields.value);
    if (value !== '' && !byValue.has(value)) byValue.set(value, { value, label: valueOf(row.fields.label) || value });
  }
  return [...byValue.values()];
}
