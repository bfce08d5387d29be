/** The code-host contract against GitHub, on the GitHub simulator through the production client. */
import { staticCredentials } from '../../../src/providers/credentials/index.ts';
import { createGitHubClient, githubCodeHost } from '../../../src/providers/github/index.ts';
import { startGitHubSimulator } from '../../simulators/github/index.ts';
import { FAST, outbound, silentLogger } from '../github/helpers.ts';
import { runCodeHostContract } from './contract.case.ts';

runCodeHostContract('github', async () => {
  const sim = await startGitHubSimulator();
  const http = outbound();
  const repo = githubCodeHost.parseRepoUrl(`${sim.url}/acme/web`);
  // The production client, with GitHub's write spacing shrunk (FAST) so the suite runs in seconds.
  const host = createGitHubClient({ apiUrl: repo.apiUrl, credentials: staticCredentials({ kind: 'pat', token: sim.token }) }, { http, logger: silentLogger, options: FAST });
  return {
    host,
    repo: { owner: repo.owner, repo: repo.repo },
    defaultBranch: 'main',
    missing: { owner: 'acme', repo: 'does-not-exist' },
    close: async () => {
      await http.close();
      await sim.close();
    },
  };
});
