/**
 * The provider side of mapping validation (PUT /api/v1/connections/{id}/mappings): the connection's
 * ticketing client checks the values against what the provider really has, through the ticketing
 * interface's optional validateMappingValues (Jira: statuses, priorities, projects, issue types).
 * Connections that are not ticketing ones, and providers without the method, are not checked. The
 * session opens only when a row reaches the provider check; a ticketing connection without stored
 * credentials cannot be checked and is refused (409 NOT_CONNECTED) rather than saved unchecked.
 */
import type { AppContext } from '../context.ts';
import { ticketingProviders } from '../providers/registry.ts';
import type { MappingValidator } from './mappings.ts';
import type { Tenant } from './tenancy.ts';
import { ticketServiceFor } from './tickets/ticket-operations.ts';

export function mappingValidator(context: AppContext, tenant: Tenant, connection: { id: string; provider: string }): MappingValidator | undefined {
  if (!ticketingProviders().includes(connection.provider)) return undefined;
  return async (rows, all) => {
    const session = await ticketServiceFor(context).sessionFor(tenant, null, connection.id);
    if (!session.ticketing.validateMappingValues) return [];
    return session.ticketing.validateMappingValues(rows, all);
  };
}
