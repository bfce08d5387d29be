/**
 * Mapping rows of a connection: read, set (upsert by kind + source), remove (never a default row).
 * Setting a row checks our side (a status row targets an internal state; a priority row's source is
 * a severity, an issue type row's a finding kind, a project row's `default`, a close code row's the
 * internal state closed into or `default`, an assignee row's a severity, finding kind or `default`) and, with a validator,
 * the provider's side: the values must be ones the provider really has (the ticketing interface's
 * validateMappingValues). An unknown value is 422 UNPROCESSABLE naming it; a provider that cannot be
 * asked fails the request with its error (502/503). Either way nothing is saved.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Orm } from '../db/database.ts';
import { mappings } from '../db/schema.ts';
import type { MappingRow } from '../domain/mapping.ts';
import { severityLevels } from '../domain/severity.ts';
import { internalStates, isInternalState } from '../domain/states.ts';
import { AppError } from '../errors/app-error.ts';
import type { MappingValueProblem } from '../providers/ticketing/index.ts';

/** Checks rows against the provider: `rows` to check, `all` the connection's rows as they would be saved. */
export type MappingValidator = (rows: MappingRow[], all: MappingRow[]) => Promise<MappingValueProblem[]>;

/** The sources a row of each kind may have (kinds not listed take any source). */
const SOURCES: Record<string, readonly string[]> = {
  priority: [...severityLevels, 'default'],
  issue_type: ['vulnerability', 'violation', 'default'],
  project: ['default'],
  // Keyed like assignment groups: the severity, else the finding kind, else default.
  assignee: [...severityLevels, 'vulnerability', 'violation', 'default'],
  // The internal state being closed into (wont_fix only outside incidents: Canceled has no close code).
  close_code: ['done', 'wont_fix', 'default'],
};

export interface MappingView {
  id: string;
  kind: string;
  source: string;
  target: string;
  removable: boolean;
}

const toView = (row: { id: string; kind: string; source: string; target: string }): MappingView => ({
  id: row.id,
  kind: row.kind,
  source: row.source,
  target: row.target,
  removable: row.source !== 'default',
});

export class MappingService {
  readonly #orm: Orm;

  constructor(orm: Orm) {
    this.#orm = orm;
  }

  async list(orgId: string, connectionId: string): Promise<MappingView[]> {
    const rows = await this.#orm
      .select()
      .from(mappings)
      .where(and(eq(mappings.orgId, orgId), eq(mappings.connectionId, connectionId)))
      .orderBy(asc(mappings.kind), asc(mappings.source));
    return rows.map(toView);
  }

  async rows(orgId: string, connectionId: string): Promise<MappingRow[]> {
    return this.list(orgId, connectionId);
  }

  async set(orgId: string, connectionId: string, input: { kind: string; source: string; target: string }, validate?: MappingValidator): Promise<MappingView> {
    if (input.kind === 'status' && !isInternalState(input.target)) {
      throw new AppError('VALIDATION_FAILED', `status mappings target an internal state: ${internalStates.join(', ')}`, { field: 'target' });
    }
    const sources = SOURCES[input.kind];
    if (sources && !sources.includes(input.source.trim().toLowerCase())) {
      throw new AppError('VALIDATION_FAILED', `${input.kind} mappings map one of: ${sources.join(', ')} (got "${input.source}")`, { field: 'source' });
    }
    if (validate) {
      const current = await this.rows(orgId, connectionId);
      const same = (row: MappingRow) => row.kind === input.kind && row.source.trim().toLowerCase() === input.source.trim().toLowerCase();
      const problems = await validate([input], [...current.filter((row) => !same(row)), input]);
      if (problems.length > 0) {
        throw new AppError('UNPROCESSABLE', `not saved: ${problems.map((problem) => problem.message).join('; ')}`, { field: problems[0]!.field });
      }
    }
    const [row] = await this.#orm
      .insert(mappings)
      .values({ orgId, connectionId, kind: input.kind, source: input.source, target: input.target })
      .onConflictDoUpdate({ target: [mappings.connectionId, mappings.kind, mappings.source], set: { target: input.target } })
      .returning();
    if (!row) throw new Error('mapping upsert returned nothing');
    return toView(row);
  }

  async remove(orgId: string, connectionId: string, id: string): Promise<void> {
    const [row] = await this.#orm
      .select()
      .from(mappings)
      .where(and(eq(mappings.orgId, orgId), eq(mappings.connectionId, connectionId), eq(mappings.id, id)));
    if (!row) throw new AppError('NOT_FOUND', 'no such mapping', { field: 'mappingId' });
    if (row.source === 'default') throw new AppError('CONFLICT', `the default ${row.kind} mapping cannot be removed; retarget it instead`);
    await this.#orm.delete(mappings).where(eq(mappings.id, id));
  }
}
