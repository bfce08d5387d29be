/** Mapping rows of a connection: read, set (upsert by kind + source), remove (never a default row). */
import { and, asc, eq } from 'drizzle-orm';
import type { Orm } from '../db/database.ts';
import { mappings } from '../db/schema.ts';
import type { MappingRow } from '../domain/mapping.ts';
import { internalStates, isInternalState } from '../domain/states.ts';
import { AppError } from '../errors/app-error.ts';

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

  async set(orgId: string, connectionId: string, input: { kind: string; source: string; target: string }): Promise<MappingView> {
    if (input.kind === 'status' && !isInternalState(input.target)) {
      throw new AppError('VALIDATION_FAILED', `status mappings target an internal state: ${internalStates.join(', ')}`, { field: 'target' });
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
