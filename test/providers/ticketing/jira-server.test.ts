/** The ticketing contract against Jira Server/DC (REST v2, wiki markup, PAT, context path), on the Jira Server simulator, built through the registry. */
import { pino } from 'pino';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';
import { ticketingFor } from '../../../src/providers/registry.ts';
import { createMemorySharedState } from '../../../src/shared-state/index.ts';
import { startJiraServerSimulator } from '../../simulators/jira/server/index.ts';
import { outbound } from '../jira/helpers.ts';
import { runTicketingContract } from './contract.case.ts';

runTicketingContract('jira-server', async () => {
  const sim = await startJiraServerSimulator({ contextPath: '/jira' });
  const http = outbound();
  const ticketing = ticketingFor('jira-server')!.create(
    {
      connectionId: 'contract-server',
      orgId: null,
      siteUrl: sim.url,
      apiUrl: null,
      apiBaseUrl: null,
      settings: {},
      credentials: staticCredentials({ kind: 'pat', token: sim.credentials.pat }),
    },
    { http, sharedState: createMemorySharedState(), logger: pino({ level: 'silent' }), timeoutMs: 10_000 },
  );
  return {
    ticketing,
    provider: 'jira-server',
    options: { projectKey: 'SEC', issueType: 'Task' },
    mapping: [{ kind: 'status', source: 'In Review', target: 'in_review' }],
    refusedPayload: () => ({ project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'refused', customfield_99999: 'not on the screen' }),
    update: { fields: { priority: { name: 'High' } }, priority: 'High' },
    walk: ['in_progress', 'in_review', 'done'],
    // From To Do: In Review needs In Progress first (done is reached by walking the workflow).
    unreachable: 'in_review',
    // Wiki markup escapes special characters with a backslash.
    comments: async (key) => sim.admin.comments(key).map((comment) => String(comment.body).replace(/\\(.)/g, '$1')),
    links: async (key) => sim.admin.remoteLinks(key).map((link) => String(link.object.url)),
    requests: () => sim.admin.requests.entries.map((entry) => ({ method: entry.method, path: entry.path, body: entry.body })),
    clearRequests: () => sim.admin.requests.clear(),
    close: async () => {
      await http.close();
      await sim.close();
    },
  };
});
