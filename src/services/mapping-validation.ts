/**
 * The provider side of mapping validation (PUT /api/v1/connections/{id}/mappings): the connection's
 * ticketing client checks the values against what the provider really has, through the ticketing
 * interface's optional validateMappingValues (Jira: statuses, priorities, projects, issue types).
 * First, the row's kind must be one the provider takes (its TicketingProvider.mappingKinds: Jira has
 * no close codes or assignment groups, ServiceNow no projects or issue types): else 422, unasked.
 * Connections that are not ticketing ones, and providers without the method, are not checked. The
 * session opens only when a row reaches the provider check; a ticketing connection without stored
 * credentials cannot be checked and is refused (409 NOT_CONNECTED) rather than saved unchecked.
 */
import type { AppContext } from '../context.ts';
import { providerEntry, ticketingFor, ticketingProviders } from '../providers/registry.ts';
import type { MappingValidator } from './mappings.ts';
import type { Tenant } from './tenancy.ts';
import { ticketServiceFor } from './tickets/ticket-operations.ts';

export function mappingValidator(context: AppContext, tenant: Tenant, connection: { id: string; provider: string }): MappingValidator | undefined {
  if (!ticketingProviders().includes(connection.provider)) return undefined;
  const kinds: readonly string[] = ticketingFor(connection.provider)?.mappingKinds ?? [];
  const name = providerEntry(connection.provider)?.descriptor.name ?? connection.provider;
  return async (rows, all) => {
    // A kind the provider has no use for is refused before anything is asked of it.
    const foreign = rows.filter((row) => !kinds.includes(row.kind));
    if (foreign.length > 0) {
      return foreign.map((row) => ({
        kind: row.kind,
        source: row.source,
        field: 'kind' as const,
        value: row.kind,
        message: `${name} connections take no ${row.kind} mappings (${row.source} → "${row.target}"): they take ${kinds.join(', ')}`,
      }));
    }
    const session = await ticketServiceFor(context).sessionFor(tenant, null, connection.id);
    if (!session.ticketing.validateMappingValues) return [];
    return session.ticketing.validateMappingValues(rows, all);
  };
}
