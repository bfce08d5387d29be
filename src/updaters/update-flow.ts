/**
 * The update algorithm shared by every ecosystem: find the declarations of the requested package,
 * let the ecosystem's requirement policy decide each one, splice the decisions in and verify them
 * (./replace-span.ts). Ecosystems only supply the hooks; the control flow lives here once.
 */
import { applyEdits, type SpanEdit, verifyExtraction } from './replace-span.ts';
import type { BumpDecision, Change, ExtractedDependency, Note, UpdateRequest, UpdateResult } from './types.ts';

export interface UpdatePolicy {
  extract(content: string, path: string): ExtractedDependency[];
  /** The fixed version in the ecosystem's canonical spelling, or null when it is not a valid version. */
  normalizeFixed(version: string): string | null;
  /** Whether a declaration is the requested package (each ecosystem's identity rules). */
  matches(dep: ExtractedDependency, packageName: string): boolean;
  /** The requirement policy: what the declaration's value becomes. */
  bump(dep: ExtractedDependency, fixed: string, all: readonly ExtractedDependency[]): BumpDecision;
  /** Follow-up notes for a successful edit (lockfiles to regenerate, …). */
  afterNotes?(changes: readonly Change[], path: string): Note[];
}

export function runUpdate(policy: UpdatePolicy, content: string, path: string, request: UpdateRequest): UpdateResult {
  const fixed = policy.normalizeFixed(request.fixedVersion.trim());
  if (fixed === null) {
    return { ok: false, code: 'invalid-version', reason: `'${request.fixedVersion}' is not a valid version here` };
  }
  let deps: ExtractedDependency[];
  try {
    deps = policy.extract(content, path);
  } catch (error) {
    return { ok: false, code: 'unparseable-manifest', reason: `cannot read ${path}: ${(error as Error).message}` };
  }
  const matching = deps.filter((dep) => policy.matches(dep, request.packageName));
  if (matching.length === 0) {
    return { ok: false, code: 'package-not-found', reason: `${request.packageName} is not declared in ${path}` };
  }

  const edits: SpanEdit[] = [];
  const changes: Change[] = [];
  const notes: Note[] = [];
  const refusals: Array<{ code: BumpDecision & { kind: 'refuse' }; dep: ExtractedDependency }> = [];
  let satisfied = 0;
  for (const dep of matching) {
    if (dep.skipReason || !dep.span) {
      const code = dep.skipReason ?? 'no-version';
      const reason = dep.skipMessage ?? `${dep.rawName} is declared without a version`;
      refusals.push({ code: { kind: 'refuse', code, reason }, dep });
      continue;
    }
    const span = dep.span;
    if (edits.some((e) => e.start === span.start)) continue; // a shared property already edited
    const decision = policy.bump(dep, fixed, deps);
    if (decision.kind === 'satisfied') satisfied++;
    else if (decision.kind === 'refuse') refusals.push({ code: decision, dep });
    else {
      edits.push({ ...span, text: decision.value });
      changes.push({ name: dep.name, from: dep.currentValue, to: decision.value, offset: span.start });
      if (decision.newName !== undefined && dep.nameSpan) {
        edits.push({ ...dep.nameSpan, text: decision.newName });
        changes.push({ name: dep.name, from: dep.rawName, to: decision.newName, offset: dep.nameSpan.start });
      }
      notes.push(...(decision.notes ?? []), ...sharedNotes(dep, deps));
    }
  }

  // Declarations without their own version (managed elsewhere, `$name` references) follow another one;
  // they only decide the outcome when nothing else declares the package.
  const benign = (r: (typeof refusals)[number]): boolean => r.code.code === 'no-version' || r.code.code === 'reference';
  const firstRefusal = refusals.find((r) => !benign(r)) ?? (satisfied === 0 ? refusals[0] : undefined);
  if (edits.length === 0) {
    if (firstRefusal) {
      const property = firstRefusal.dep.property;
      return { ok: false, code: firstRefusal.code.code, reason: firstRefusal.code.reason, ...(property ? { property } : {}) };
    }
    const message = `${request.packageName} already requires ${fixed} or later`;
    return { ok: true, content, changes: [], notes: [{ code: 'already-satisfied', message }] };
  }
  for (const refusal of refusals) {
    if (benign(refusal)) continue;
    const { code, dep } = refusal;
    notes.push({ code: 'not-updated', message: `${dep.kind} declaration of ${dep.rawName} left as is: ${code.reason}` });
  }
  if (satisfied > 0) {
    notes.push({ code: 'already-satisfied', message: `${satisfied} other declaration(s) already require ${fixed}` });
  }

  const updated = applyEdits(content, edits);
  const problem = verifyExtraction(deps, policy.extract(updated, path), edits);
  if (problem) return { ok: false, code: 'verification-failed', reason: `refusing a doubtful edit: ${problem}` };
  notes.push(...(policy.afterNotes?.(changes, path) ?? []));
  return { ok: true, content: updated, changes, notes };
}

/** A property or catalog key used by other packages moves them too; say so. */
function sharedNotes(dep: ExtractedDependency, deps: readonly ExtractedDependency[]): Note[] {
  if (!dep.property || !dep.span) return [];
  const start = dep.span.start;
  const others = deps.filter((d) => d.span?.start === start && d.name !== dep.name).map((d) => d.name);
  if (others.length === 0) return [];
  const unique = [...new Set(others)].join(', ');
  return [{ code: 'shared-version', message: `${dep.property} is also the version of ${unique}; they move too` }];
}
