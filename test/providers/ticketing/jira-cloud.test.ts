/** The ticketing contract against Jira Cloud (REST v3, ADF, lagging search), on the Jira Cloud simulator, built through the registry. */
import { startJiraCloudSimulator } from '../../simulators/jira/cloud/index.ts';
import { cloudTicketing, outbound } from '../jira/helpers.ts';
import { runTicketingContract } from './contract.case.ts';

runTicketingContract('jira-cloud', async () => {
  const sim = await startJiraCloudSimulator({ searchLagMs: 0 });
  const http = outbound();
  const ticketing = cloudTicketing(sim, http, { connectionId: 'contract-cloud', searchConsistencyMs: 5_000 });
  return {
    ticketing,
    provider: 'jira-cloud',
    options: { projectKey: 'SEC', issueType: 'Task' },
    mapping: [],
    refusedPayload: () => ({ project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'refused', customfield_99999: 'not on the screen' }),
    setSearchLag: (ms) => sim.admin.setSearchLag(ms),
    update: { fields: { priority: { name: 'Low' } }, priority: 'Low' },
    walk: ['in_progress', 'in_review', 'done'],
    // From To Do: In Review needs In Progress first (done is reached by walking the workflow).
    unreachable: 'in_review',
    comments: async (key) => sim.admin.comments(key).map((comment) => JSON.stringify(comment.body)),
    links: async (key) => sim.admin.remoteLinks(key).map((link) => String(link.object.url)),
    requests: () => sim.admin.requests.entries.map((entry) => ({ method: entry.method, path: entry.path, body: entry.body })),
    clearRequests: () => sim.admin.requests.clear(),
    close: async () => {
      await http.close();
      await sim.close();
    },
  };
});
