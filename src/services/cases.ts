/**
 * Audit cases (seed 002): named sets of compliance violations that are ticketed together
 * (`POST /api/jira/tickets/bulk-create` by `case_id`). Violations are ordinary findings with
 * `case_id` set and go through the same upsert as `/api/v1/findings`.
 */
import { and, asc, desc, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { Orm } from '../db/database.ts';
import { auditCases, findings } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import { recordAudit } from './audit.ts';
import { afterCursor, cursorTime, decodeCursor, encodeCursor } from '../db/cursor.ts';
import {
  type Finding,
  toFinding,
  type UpsertedFinding,
  upsertFindings,
  type ViolationInput,
} from './findings.ts';

export interface AuditCase {
  id: string;
  name: string;
  framework: string | null;
  description: string | null;
  status: string;
  createdAt: Date;
  violationCount: number;
}

export interface CaseInput {
  name: string;
  framework?: string | null;
  description?: string | null;
}

/** A case's violations without `kind` and `case_id` (both implied); `framework` defaults to the case's. */
export type CaseViolationInput = Omit<ViolationInput, 'kind' | 'caseId' | 'framework'> & { framework?: string | null };

// Raw on purpose: drizzle leaves columns unqualified in single-table selects, and an unqualified
// "id" inside this subquery would mean findings.id.
const violationCount = sql<number>`(select count(*)::int from findings f where f.case_id = "audit_cases"."id" and f.kind = 'violation')`;

const caseColumns = {
  id: auditCases.id,
  name: auditCases.name,
  framework: auditCases.framework,
  description: auditCases.description,
  status: auditCases.status,
  createdAt: auditCases.createdAt,
  violationCount,
};

function notFound(): AppError {
  return new AppError('NOT_FOUND', 'no such audit case', { field: 'id' });
}

export async function createCase(orm: Orm, orgId: string, input: CaseInput, actor = 'service'): Promise<AuditCase> {
  const name = input.name.trim();
  if (name === '') throw new AppError('VALIDATION_FAILED', 'name: must not be empty', { field: 'name' });
  return orm.transaction(async (tx) => {
    const [row] = await tx
      .insert(auditCases)
      .values({ orgId, name, framework: input.framework?.trim() || null, description: input.description ?? null })
      .returning();
    if (!row) throw new Error('audit case insert returned no row');
    await recordAudit(tx, { orgId, actor, action: 'cases.create', targetType: 'audit_case', targetId: row.id, status: 'ok', detail: { name } });
    return { id: row.id, name: row.name, framework: row.framework, description: row.description, status: row.status, createdAt: row.createdAt, violationCount: 0 };
  });
}

export async function getCase(orm: Orm, orgId: string, id: string): Promise<AuditCase | null> {
  const [row] = await orm
    .select(caseColumns)
    .from(auditCases)
    .where(and(eq(auditCases.orgId, orgId), eq(auditCases.id, id)));
  return row ?? null;
}

export async function listCases(orm: Orm, orgId: string, page: { limit: number; cursor?: string }): Promise<{ cases: AuditCase[]; nextCursor: string | null }> {
  const conditions: SQL[] = [eq(auditCases.orgId, orgId)];
  if (page.cursor) conditions.push(afterCursor(auditCases.createdAt, auditCases.id, decodeCursor(page.cursor)));
  const rows = await orm
    .select({ ...caseColumns, cursorAt: cursorTime(auditCases.createdAt) })
    .from(auditCases)
    .where(and(...conditions))
    .orderBy(desc(auditCases.createdAt), desc(auditCases.id))
    .limit(page.limit + 1);
  const shown = rows.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    cases: shown.map(({ cursorAt: _, ...row }) => row),
    nextCursor: rows.length > page.limit && last ? encodeCursor({ at: last.cursorAt, id: last.id }) : null,
  };
}

/**
 * Every violation of one case, oldest first (what bulk ticket creation walks). Throws NOT_FOUND
 * when the case is not the org's.
 */
export async function listCaseViolations(orm: Orm, orgId: string, caseId: string): Promise<Finding[]> {
  if (!(await getCase(orm, orgId, caseId))) throw notFound();
  const rows = await orm
    .select(getTableColumns(findings))
    .from(findings)
    .where(and(eq(findings.orgId, orgId), eq(findings.caseId, caseId), eq(findings.kind, 'violation')))
    .orderBy(asc(findings.createdAt), asc(findings.id));
  return rows.map(toFinding);
}

/** Creates or updates violations of one case (same rules as upsertFindings); one audit event. */
export async function upsertCaseViolations(
  orm: Orm,
  orgId: string,
  caseId: string,
  inputs: readonly CaseViolationInput[],
  actor = 'service',
): Promise<UpsertedFinding[]> {
  const found = await getCase(orm, orgId, caseId);
  if (!found) throw notFound();
  const violations: ViolationInput[] = inputs.map((input, index) => {
    const framework = input.framework?.trim() || found.framework;
    if (!framework) {
      throw new AppError('VALIDATION_FAILED', `violations.${index}.framework: is required (the case has no framework)`, {
        field: `violations.${index}.framework`,
      });
    }
    return { ...input, kind: 'violation', framework, caseId: found.id };
  });
  return upsertFindings(orm, orgId, violations, {
    actor,
    action: 'cases.violations.upsert',
    target: { type: 'audit_case', id: found.id },
    fieldPrefix: 'violations',
  });
}
