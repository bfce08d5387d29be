/**
 * The tables the ServiceNow simulator knows: incident, sys_user_group, sys_user, sys_journal_field, sys_choice and one
 * configurable custom task-like table (default `sn_vul_vulnerable_item`). Field lists, choice labels and
 * defaults follow the base system as the corpus examples show it (every value a string, `""` when empty);
 * the state codes and the priority lookup come from PROVIDER-FACTS §5.
 */
export type FieldType = 'string' | 'integer' | 'boolean' | 'datetime' | 'reference' | 'choice' | 'journal' | 'journal_list' | 'guid';

export interface Choice {
  value: string;
  label: string;
}

export interface FieldDef {
  name: string;
  type: FieldType;
  label: string;
  /** Referenced table, for `reference` fields. */
  reference?: string;
  choices?: Choice[];
  /** Written only by the platform (sys_* fields); client writes are ignored. */
  system?: boolean;
}

export interface TableDef {
  name: string;
  label: string;
  /** The field whose value is a record's display value (what `sysparm_display_value=true` shows for references to it). */
  displayField: string;
  numberPrefix: string | null;
  fields: Map<string, FieldDef>;
  /** Priority is looked up from impact × urgency (the base-system data lookup on incident). */
  priorityLookup: boolean;
  /** incident: state side effects (incident_state mirror, resolved/closed stamps, active). */
  incidentStateModel: boolean;
  /** Values a new record starts with (before the caller's). */
  defaults: Record<string, string>;
  /** Role needed to insert/update/delete through the API (besides `admin`). */
  writeRole: string | null;
}

export const INCIDENT_STATES: Choice[] = [
  { value: '1', label: 'New' },
  { value: '2', label: 'In Progress' },
  { value: '3', label: 'On Hold' },
  { value: '6', label: 'Resolved' },
  { value: '7', label: 'Closed' },
  { value: '8', label: 'Canceled' },
];

/** The base `task` state choices, used by the custom table unless the caller gives its own. */
export const TASK_STATES: Choice[] = [
  { value: '-5', label: 'Pending' },
  { value: '1', label: 'Open' },
  { value: '2', label: 'Work in Progress' },
  { value: '3', label: 'Closed Complete' },
  { value: '4', label: 'Closed Incomplete' },
  { value: '7', label: 'Closed Skipped' },
];

const IMPACT_URGENCY: Choice[] = [
  { value: '1', label: '1 - High' },
  { value: '2', label: '2 - Medium' },
  { value: '3', label: '3 - Low' },
];

export const PRIORITIES: Choice[] = [
  { value: '1', label: '1 - Critical' },
  { value: '2', label: '2 - High' },
  { value: '3', label: '3 - Moderate' },
  { value: '4', label: '4 - Low' },
  { value: '5', label: '5 - Planning' },
];

/** PROVIDER-FACTS §5: I1U1=1, I1U2=2, I1U3=3, I2U1=2, I2U2=3, I2U3=4, I3U1=3, I3U2=4, I3U3=5. */
export function lookupPriority(impact: string, urgency: string): string | null {
  const i = Number(impact);
  const u = Number(urgency);
  if (![1, 2, 3].includes(i) || ![1, 2, 3].includes(u)) return null;
  return String(i + u - 1);
}

const f = (name: string, type: FieldType, label: string, extra: Partial<FieldDef> = {}): FieldDef => ({ name, type, label, ...extra });

function systemFields(): FieldDef[] {
  return [
    f('sys_id', 'guid', 'Sys ID', { system: true }),
    f('sys_created_on', 'datetime', 'Created', { system: true }),
    f('sys_created_by', 'string', 'Created by', { system: true }),
    f('sys_updated_on', 'datetime', 'Updated', { system: true }),
    f('sys_updated_by', 'string', 'Updated by', { system: true }),
    f('sys_mod_count', 'integer', 'Updates', { system: true }),
    f('sys_tags', 'string', 'Tags', { system: true }),
  ];
}

function taskFields(states: Choice[]): FieldDef[] {
  return [
    f('number', 'string', 'Number', { system: true }),
    f('short_description', 'string', 'Short description'),
    f('description', 'string', 'Description'),
    f('state', 'choice', 'State', { choices: states }),
    f('active', 'boolean', 'Active'),
    f('impact', 'choice', 'Impact', { choices: IMPACT_URGENCY }),
    f('urgency', 'choice', 'Urgency', { choices: IMPACT_URGENCY }),
    f('priority', 'choice', 'Priority', { choices: PRIORITIES }),
    f('assignment_group', 'reference', 'Assignment group', { reference: 'sys_user_group' }),
    f('assigned_to', 'reference', 'Assigned to', { reference: 'sys_user' }),
    f('opened_by', 'reference', 'Opened by', { reference: 'sys_user' }),
    f('opened_at', 'datetime', 'Opened'),
    f('closed_by', 'reference', 'Closed by', { reference: 'sys_user' }),
    f('closed_at', 'datetime', 'Closed'),
    f('close_notes', 'string', 'Close notes'),
    f('correlation_id', 'string', 'Correlation ID'),
    f('correlation_display', 'string', 'Correlation display'),
    f('work_notes', 'journal', 'Work notes'),
    f('comments', 'journal', 'Additional comments'),
    f('comments_and_work_notes', 'journal_list', 'Comments and Work notes'),
    f('work_notes_list', 'string', 'Work notes list'),
    f('reassignment_count', 'integer', 'Reassignment count'),
    f('sys_class_name', 'string', 'Task type', { system: true }),
    f('sys_domain', 'reference', 'Domain', { reference: 'sys_user_group', system: true }),
    f('sys_domain_path', 'string', 'Domain path', { system: true }),
  ];
}

function table(def: Omit<TableDef, 'fields'> & { fields: FieldDef[] }): TableDef {
  return { ...def, fields: new Map(def.fields.map((field) => [field.name, field])) };
}

const taskDefaults = (className: string, state: string): Record<string, string> => ({
  state,
  active: 'true',
  impact: '3',
  urgency: '3',
  reassignment_count: '0',
  sys_class_name: className,
  sys_domain: 'global',
  sys_domain_path: '/',
});

export function incidentTable(): TableDef {
  return table({
    name: 'incident',
    label: 'Incident',
    displayField: 'number',
    numberPrefix: 'INC',
    priorityLookup: true,
    incidentStateModel: true,
    writeRole: 'itil',
    defaults: {
      ...taskDefaults('incident', '1'),
      incident_state: '1',
      severity: '3',
      category: 'inquiry',
      notify: '1',
      made_sla: 'true',
      escalation: '0',
      reopen_count: '0',
      child_incidents: '0',
      approval: 'not requested',
      upon_approval: 'proceed',
      upon_reject: 'cancel',
      knowledge: 'false',
    },
    fields: [
      ...systemFields(),
      ...taskFields(INCIDENT_STATES),
      f('incident_state', 'choice', 'Incident state', { choices: INCIDENT_STATES }),
      f('caller_id', 'reference', 'Caller', { reference: 'sys_user' }),
      f('category', 'string', 'Category'),
      f('subcategory', 'string', 'Subcategory'),
      f('severity', 'choice', 'Severity', { choices: IMPACT_URGENCY }),
      f('close_code', 'string', 'Resolution code'),
      f('resolved_by', 'reference', 'Resolved by', { reference: 'sys_user' }),
      f('resolved_at', 'datetime', 'Resolved'),
      f('hold_reason', 'string', 'On hold reason'),
      f('contact_type', 'string', 'Channel'),
      f('cmdb_ci', 'string', 'Configuration item'),
      f('problem_id', 'string', 'Problem'),
      f('parent_incident', 'reference', 'Parent Incident', { reference: 'incident' }),
      f('notify', 'string', 'Notify'),
      f('made_sla', 'boolean', 'Made SLA'),
      f('escalation', 'integer', 'Escalation'),
      f('reopen_count', 'integer', 'Reopen count'),
      f('child_incidents', 'integer', 'Child Incidents'),
      f('approval', 'string', 'Approval'),
      f('upon_approval', 'string', 'Upon approval'),
      f('upon_reject', 'string', 'Upon reject'),
      f('knowledge', 'boolean', 'Knowledge'),
    ],
  });
}

export interface CustomTableOptions {
  /** Table name (default `sn_vul_vulnerable_item`). */
  name?: string;
  label?: string;
  /** Number prefix (default `VIT`). */
  numberPrefix?: string;
  /** State choices (default the base `task` ones) and the state a new record gets (default the first `1`). */
  states?: Choice[];
  initialState?: string;
  /** Whether priority is looked up from impact × urgency (default false: only incident has the base lookup). */
  priorityLookup?: boolean;
  /** Extra string fields (`u_...`). */
  extraFields?: string[];
}

export function customTable(options: CustomTableOptions = {}): TableDef {
  const name = options.name ?? 'sn_vul_vulnerable_item';
  const states = options.states ?? TASK_STATES;
  return table({
    name,
    label: options.label ?? 'Vulnerable Item',
    displayField: 'number',
    numberPrefix: options.numberPrefix ?? 'VIT',
    priorityLookup: options.priorityLookup ?? false,
    incidentStateModel: false,
    writeRole: 'itil',
    defaults: { ...taskDefaults(name, options.initialState ?? states.find((s) => s.value === '1')?.value ?? states[0]?.value ?? '1'), priority: '4' },
    fields: [...systemFields(), ...taskFields(states), ...(options.extraFields ?? []).map((field) => f(field, 'string', field))],
  });
}

export function groupTable(): TableDef {
  return table({
    name: 'sys_user_group',
    label: 'Group',
    displayField: 'name',
    numberPrefix: null,
    priorityLookup: false,
    incidentStateModel: false,
    writeRole: null,
    defaults: { active: 'true' },
    fields: [
      ...systemFields(),
      f('name', 'string', 'Name'),
      f('description', 'string', 'Description'),
      f('email', 'string', 'Group email'),
      f('type', 'string', 'Type'),
      f('active', 'boolean', 'Active'),
      f('manager', 'reference', 'Manager', { reference: 'sys_user' }),
    ],
  });
}

export function userTable(): TableDef {
  return table({
    name: 'sys_user',
    label: 'User',
    displayField: 'name',
    numberPrefix: null,
    priorityLookup: false,
    incidentStateModel: false,
    writeRole: null,
    defaults: { active: 'true', locked_out: 'false' },
    fields: [
      ...systemFields(),
      f('user_name', 'string', 'User ID'),
      f('name', 'string', 'Name'),
      f('first_name', 'string', 'First name'),
      f('last_name', 'string', 'Last name'),
      f('email', 'string', 'Email'),
      f('title', 'string', 'Title'),
      f('active', 'boolean', 'Active'),
      f('locked_out', 'boolean', 'Locked out'),
    ],
  });
}

export function journalTable(): TableDef {
  return table({
    name: 'sys_journal_field',
    label: 'Journal Entry',
    displayField: 'value',
    numberPrefix: null,
    priorityLookup: false,
    incidentStateModel: false,
    writeRole: null,
    defaults: {},
    fields: [
      f('sys_id', 'guid', 'Sys ID', { system: true }),
      f('sys_created_on', 'datetime', 'Created', { system: true }),
      f('sys_created_by', 'string', 'Created by', { system: true }),
      f('element_id', 'guid', 'Element ID'),
      f('element', 'string', 'Element'),
      f('name', 'string', 'Name'),
      f('value', 'string', 'Value'),
    ],
  });
}

/**
 * The base system's incident `close_code` (Resolution code) choices, as sys_choice rows hold them
 * (value = label). Not in PROVIDER-FACTS: the list ServiceNow's base system shipped for years (the
 * product's default close code, `Solved (Permanently)`, is one); newer releases ship others (e.g.
 * `Solution provided`, `Workaround provided`): the `closeCodes` option sets an instance's own.
 */
export const BASE_CLOSE_CODES: string[] = [
  'Solved (Work Around)',
  'Solved (Permanently)',
  'Solved Remotely (Work Around)',
  'Solved Remotely (Permanently)',
  'Not Solved (Not Reproducible)',
  'Not Solved (Too Costly)',
  'Closed/Resolved by Caller',
];

/** sys_choice: a choice field's values, one row per table (`name`), field (`element`), value and language. */
export function choiceTable(): TableDef {
  return table({
    name: 'sys_choice',
    label: 'Choice',
    displayField: 'label',
    numberPrefix: null,
    priorityLookup: false,
    incidentStateModel: false,
    writeRole: null,
    defaults: { inactive: 'false', language: 'en', sequence: '0' },
    fields: [
      ...systemFields(),
      f('name', 'string', 'Table'),
      f('element', 'string', 'Element'),
      f('value', 'string', 'Value'),
      f('label', 'string', 'Label'),
      f('language', 'string', 'Language'),
      f('sequence', 'integer', 'Sequence'),
      f('inactive', 'boolean', 'Inactive'),
      f('dependent_value', 'string', 'Dependent value'),
      f('hint', 'string', 'Hint'),
    ],
  });
}

export function choiceLabel(field: FieldDef, value: string): string {
  return field.choices?.find((c) => c.value === value)?.label ?? value;
}
