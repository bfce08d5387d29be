/** The ticketing contract against ServiceNow's Table API (incident table, Basic auth), on the ServiceNow simulator, built through the registry. */
import { pino } from 'pino';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';
import { ticketingFor } from '../../../src/providers/registry.ts';
import { createMemorySharedState } from '../../../src/shared-state/index.ts';
import { startServiceNowSimulator } from '../../simulators/servicenow/index.ts';
import { outbound } from '../servicenow/helpers.ts';
import { runTicketingContract } from './contract.case.ts';

runTicketingContract('servicenow', async () => {
  // Close fields required (ServiceNow's common data policy), so a resolved record without them is refused.
  const sim = await startServiceNowSimulator({ requireCloseFields: true });
  const http = outbound();
  const ticketing = ticketingFor('servicenow')!.create(
    {
      connectionId: 'contract-servicenow',
      orgId: null,
      siteUrl: sim.url,
      apiUrl: null,
      apiBaseUrl: null,
      settings: { table: 'incident' },
      credentials: staticCredentials({ kind: 'basic', username: sim.credentials.username, password: sim.credentials.password }),
    },
    { http, sharedState: createMemorySharedState(), logger: pino({ level: 'silent' }), timeoutMs: 10_000 },
  );
  const journal = (key: string) => sim.admin.journal('incident', key).map((entry) => entry.value ?? '');
  return {
    ticketing,
    provider: 'servicenow',
    options: {},
    mapping: [],
    refusedPayload: () => ({ short_description: 'refused: resolved without close fields', state: '6' }),
    update: { fields: { impact: '1', urgency: '1' }, priority: '1 - Critical' },
    walk: ['in_progress', 'done'],
    comments: async (key) => journal(key),
    links: async (key) => journal(key).flatMap((value) => value.match(/https?:\/\/\S+/g) ?? []),
    requests: () => sim.admin.requests.entries.map((entry) => ({ method: entry.method, path: entry.path, body: entry.body })),
    clearRequests: () => sim.admin.requests.clear(),
    close: async () => {
      await http.close();
      await sim.close();
    },
  };
});
