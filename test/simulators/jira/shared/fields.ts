/**
 * Create/edit field validation with Jira's messages. Produces either an ErrorCollection (field errors in
 * `errors`, global ones in `errorMessages`) or a patch for the issue model. Rules that differ between Cloud
 * and Server (ADF vs string, accountId vs name, wording of project/issue-type errors) branch on the flavour.
 */
import { validateAdf } from './adf.ts';
import type { ErrorCollection } from './errors.ts';
import type { FieldDef, Flavor, Issue, IssueType, Project } from './model.ts';
import type { JiraStore } from './store.ts';

export interface FieldContext {
  store: JiraStore;
  flavor: Flavor;
  /** Max characters of a rich-text field (Jira Cloud: 32,767, fixed). */
  textLimit: number;
}

export type IssuePatch = Partial<Omit<Issue, 'custom'>> & { custom?: Record<string, unknown> };

export type Checked<T> = { ok: true; value: T } | { ok: false; error: ErrorCollection };

const NOT_ON_SCREEN = (id: string): string => `Field '${id}' cannot be set. It is not on the appropriate screen, or unknown.`;
const NOT_ADF = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
const NOT_STRING = 'Operation value must be a string';
const tooLong = (limit: number): string => `The entered text is too long. It exceeds the allowed limit of ${limit.toLocaleString('en-US')} characters.`;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rich text as the flavour wants it; Cloud counts the serialized document, which is what it stores. */
export function checkRichText(ctx: FieldContext, value: unknown): { error?: string; invalidInput?: boolean } {
  if (ctx.flavor.richText === 'adf') {
    const verdict = validateAdf(value);
    if (!verdict.ok) return verdict.reason === 'not-a-document' ? { error: NOT_ADF } : { invalidInput: true };
    if (JSON.stringify(value).length > ctx.textLimit) return { error: tooLong(ctx.textLimit) };
    return {};
  }
  if (typeof value !== 'string') return { error: NOT_STRING };
  if (value.length > ctx.textLimit) return { error: tooLong(ctx.textLimit) };
  return {};
}

/** Folds `update` operations (`set`/`add`/`remove`) into plain field values. */
function applyUpdateOps(fields: Record<string, unknown>, update: unknown, current: Issue | null, errors: Record<string, string>): void {
  if (!isObject(update)) return;
  for (const [field, ops] of Object.entries(update)) {
    if (field === 'comment') continue;
    if (!Array.isArray(ops)) {
      errors[field] = `Field '${field}' update operations must be an array.`;
      continue;
    }
    let value: unknown = field in fields ? fields[field] : field === 'labels' ? [...(current?.labels ?? [])] : undefined;
    for (const op of ops) {
      if (!isObject(op)) continue;
      if ('set' in op) value = op.set;
      else if ('add' in op && field === 'labels') value = [...((value as string[]) ?? []), op.add];
      else if ('remove' in op && field === 'labels') value = ((value as string[]) ?? []).filter((l) => l !== op.remove);
      else errors[field] = `Field '${field}' does not support this update operation.`;
    }
    fields[field] = value;
  }
}

function resolveUserRef(ctx: FieldContext, value: unknown, fieldId: string, errors: Record<string, string>): string | null | undefined {
  if (value === null) return null;
  if (ctx.flavor.kind === 'cloud') {
    // Cloud identifies people by accountId only; `name` is refused since the GDPR API changes.
    const ref = isObject(value) ? (value.accountId ?? value.id) : undefined;
    const user = typeof ref === 'string' ? ctx.store.findUser(ref) : undefined;
    if (!user || user.accountId !== ref || !user.active) {
      errors[fieldId] = `Specify a valid value for ${fieldId}`;
      return undefined;
    }
    return user.accountId;
  }
  const ref = isObject(value) ? (value.name ?? value.key) : undefined;
  if (typeof ref !== 'string') {
    errors[fieldId] = `Could not find valid 'name' or 'key' in ${fieldId} object.`;
    return undefined;
  }
  const user = ctx.store.users.find((u) => u.name === ref);
  if (!user) {
    errors[fieldId] = `User '${ref}' does not exist.`;
    return undefined;
  }
  return user.accountId;
}

function checkValue(ctx: FieldContext, def: FieldDef, value: unknown, patch: IssuePatch, errors: Record<string, string>, flags: { invalidInput: boolean }): void {
  switch (def.kind) {
    case 'summary': {
      if (typeof value !== 'string' || value.trim() === '') {
        errors.summary = 'You must specify a summary of the issue.';
      } else if (/[\r\n]/.test(value)) {
        errors.summary = 'The summary is invalid because it contains newline characters.';
      } else if (value.length > 255) {
        errors.summary = 'Summary must be less than 255 characters.';
      } else patch.summary = value;
      return;
    }
    case 'richtext': {
      if (value === null) {
        setField(patch, def.id, null);
        return;
      }
      const result = checkRichText(ctx, value);
      if (result.invalidInput) flags.invalidInput = true;
      else if (result.error) errors[def.id] = result.error;
      else setField(patch, def.id, value);
      return;
    }
    case 'priority': {
      if (value === null) {
        patch.priorityId = null;
        return;
      }
      if (!isObject(value) || (typeof value.id !== 'string' && typeof value.name !== 'string')) {
        errors.priority = "Could not find valid 'id' or 'name' in priority object.";
        return;
      }
      const found = ctx.store.priorities.find((p) => p.id === value.id || (value.id === undefined && p.name === value.name));
      if (!found) errors.priority = typeof value.id === 'string' ? `The priority selected is invalid.` : `Priority name '${String(value.name)}' is not valid`;
      else patch.priorityId = found.id;
      return;
    }
    case 'labels': {
      if (value === null) {
        patch.labels = [];
        return;
      }
      if (!Array.isArray(value)) {
        errors.labels = 'data was not an array';
        return;
      }
      for (const label of value) {
        if (typeof label !== 'string') {
          errors.labels = NOT_STRING;
          return;
        }
        if (/\s/.test(label)) {
          errors.labels = `The label '${label}' contains spaces which is invalid.`;
          return;
        }
        if (label.length > 255) {
          errors.labels = `The label '${label}' exceeds the maximum length for a single label of 255 characters.`;
          return;
        }
      }
      patch.labels = [...new Set(value.filter((l: string) => l !== ''))] as string[];
      return;
    }
    case 'user': {
      const ref = resolveUserRef(ctx, value, def.id, errors);
      if (ref !== undefined) patch.assigneeId = ref;
      return;
    }
    case 'date': {
      if (value === null) patch.duedate = null;
      else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value))) patch.duedate = value;
      else errors[def.id] = `Error parsing date string: ${String(value)}`;
      return;
    }
    case 'string': {
      if (value === null) setField(patch, def.id, null);
      else if (typeof value !== 'string') errors[def.id] = NOT_STRING;
      else if (value.length > 255) errors[def.id] = tooLong(255);
      else setField(patch, def.id, value);
      return;
    }
    case 'option': {
      if (value === null) {
        setField(patch, def.id, null);
        return;
      }
      const option = isObject(value) ? def.options?.find((o) => o.id === value.id || (value.id === undefined && o.value === value.value)) : undefined;
      if (!option) errors[def.id] = `Specify a valid 'id' or 'name' for ${def.name}`;
      else setField(patch, def.id, { ...option });
      return;
    }
    default:
      return;
  }
}

function setField(patch: IssuePatch, id: string, value: unknown): void {
  if (id === 'description') patch.description = value;
  else if (id === 'environment') patch.environment = value;
  else patch.custom = { ...(patch.custom ?? {}), [id]: value };
}

export function screenFor(store: JiraStore, issueType: IssueType): FieldDef[] {
  return store.fields.filter((f) => !f.issueTypes || f.issueTypes.includes(issueType.id));
}

function resolveRef<T extends { id: string; name?: string; key?: string }>(list: T[], value: unknown): T | undefined {
  if (typeof value === 'string') return list.find((x) => x.id === value || x.key === value || x.name === value);
  if (!isObject(value)) return undefined;
  if (typeof value.id === 'string' || typeof value.id === 'number') return list.find((x) => x.id === String(value.id));
  if (typeof value.key === 'string') return list.find((x) => x.key === String(value.key).toUpperCase());
  if (typeof value.name === 'string') return list.find((x) => x.name === value.name);
  return undefined;
}

export interface CreateInput {
  project: Project;
  issueType: IssueType;
  patch: IssuePatch;
}

export function checkCreate(ctx: FieldContext, body: unknown, canSee: (projectKey: string) => boolean): Checked<CreateInput> {
  const errors: Record<string, string> = {};
  const errorMessages: string[] = [];
  const flags = { invalidInput: false };
  const bodyObject = isObject(body) ? body : {};
  const fields: Record<string, unknown> = isObject(bodyObject.fields) ? { ...bodyObject.fields } : {};
  applyUpdateOps(fields, bodyObject.update, null, errors);
  const cloud = ctx.flavor.kind === 'cloud';

  let project: Project | undefined;
  if (fields.project === undefined || fields.project === null) {
    errors.project = cloud ? 'Specify a valid project ID or key' : 'project is required';
  } else {
    const found = resolveRef(ctx.store.projects, fields.project);
    // Jira does not reveal projects the caller cannot see: same answer as a missing one.
    if (found && canSee(found.key)) project = found;
    else if (cloud) errors.project = 'Specify a valid project ID or key';
    else {
      const ref = isObject(fields.project) ? (fields.project.key ?? fields.project.id) : fields.project;
      errorMessages.push(`The value '${String(ref)}' does not exist for the field 'project'.`);
    }
  }

  let issueType: IssueType | undefined;
  if (fields.issuetype === undefined || fields.issuetype === null) {
    errors.issuetype = cloud ? 'Specify an issue type' : 'valid issue type is required';
  } else {
    const found = resolveRef(ctx.store.issueTypes, fields.issuetype);
    if (!found || (project && !project.issueTypeIds.includes(found.id))) errors.issuetype = 'The issue type selected is invalid.';
    else issueType = found;
  }

  const patch: IssuePatch = {};
  const screen = issueType ? screenFor(ctx.store, issueType) : ctx.store.fields;
  for (const [id, value] of Object.entries(fields)) {
    if (id === 'project' || id === 'issuetype') continue;
    const def = screen.find((f) => f.id === id);
    if (!def) {
      errors[id] = NOT_ON_SCREEN(id);
      continue;
    }
    checkValue(ctx, def, value, patch, errors, flags);
  }
  if (!('summary' in fields)) errors.summary = 'You must specify a summary of the issue.';
  if (project) {
    for (const required of project.requiredFields) {
      const def = screen.find((f) => f.id === required);
      if (def && (fields[required] === undefined || fields[required] === null) && !errors[required]) errors[required] = `${def.name} is required.`;
    }
  }
  // A malformed document aborts the request before field-level reporting.
  if (flags.invalidInput) return { ok: false, error: { errorMessages: ['INVALID_INPUT'], errors: {} } };
  if (errorMessages.length > 0 || Object.keys(errors).length > 0 || !project || !issueType) {
    return { ok: false, error: { errorMessages, errors } };
  }
  return { ok: true, value: { project, issueType, patch } };
}

export interface EditInput {
  patch: IssuePatch;
  comments: unknown[];
}

export function checkEdit(ctx: FieldContext, issue: Issue, body: unknown): Checked<EditInput> {
  const errors: Record<string, string> = {};
  const flags = { invalidInput: false };
  const bodyObject = isObject(body) ? body : {};
  const fields: Record<string, unknown> = isObject(bodyObject.fields) ? { ...bodyObject.fields } : {};
  applyUpdateOps(fields, bodyObject.update, issue, errors);
  const issueType = ctx.store.issueTypes.find((t) => t.id === issue.issueTypeId);
  const screen = issueType ? screenFor(ctx.store, issueType).filter((f) => f.kind !== 'project' && f.kind !== 'issuetype') : [];
  const patch: IssuePatch = {};
  for (const [id, value] of Object.entries(fields)) {
    const def = screen.find((f) => f.id === id);
    if (!def) {
      errors[id] = NOT_ON_SCREEN(id);
      continue;
    }
    checkValue(ctx, def, value, patch, errors, flags);
  }
  const project = ctx.store.projectOf(issue);
  for (const required of project.requiredFields) {
    const def = screen.find((f) => f.id === required);
    if (def && required in fields && fields[required] === null) errors[required] = `${def.name} is required.`;
  }
  const comments: unknown[] = [];
  const commentOps = isObject(bodyObject.update) ? bodyObject.update.comment : undefined;
  if (Array.isArray(commentOps)) {
    for (const op of commentOps) {
      const add = isObject(op) && isObject(op.add) ? op.add.body : undefined;
      const result = checkRichText(ctx, add);
      if (result.invalidInput) flags.invalidInput = true;
      else if (result.error) errors.comment = result.error;
      else comments.push(add);
    }
  }
  if (flags.invalidInput) return { ok: false, error: { errorMessages: ['INVALID_INPUT'], errors: {} } };
  if (Object.keys(errors).length > 0) return { ok: false, error: { errorMessages: [], errors } };
  return { ok: true, value: { patch, comments } };
}

/** Turns a checked patch into issue-model fields (custom fields merged into the existing map). */
export function toIssueFields(issue: Pick<Issue, 'custom'> | null, patch: IssuePatch): Partial<Issue> {
  const { custom, ...rest } = patch;
  return custom ? { ...rest, custom: { ...(issue?.custom ?? {}), ...custom } } : rest;
}
