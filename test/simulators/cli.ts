/**
 * `npm run --silent simulators`: starts every simulator on 127.0.0.1 and prints exactly one JSON line
 * with each one's base URL and working test credentials, then runs until SIGTERM or SIGINT.
 * Logs and diagnostics go to stderr so stdout stays machine-readable.
 */
import type { AtlassianOAuthSimulator } from './atlassian-oauth/index.ts';
import { startAtlassianOAuthSimulator } from './atlassian-oauth/index.ts';
import { startConfluenceSimulator } from './confluence/index.ts';
import { startGitHubSimulator } from './github/index.ts';
import { startJiraCloudSimulator } from './jira/cloud/index.ts';
import { startJiraServerSimulator } from './jira/server/index.ts';
import { startServiceNowSimulator } from './servicenow/index.ts';

let oauth: AtlassianOAuthSimulator | null = null;
// The Cloud simulator accepts the OAuth simulator's access tokens at /ex/jira/{cloudId}; the OAuth
// simulator reports the Cloud simulator as the consented site, so it starts second.
const jira = await startJiraCloudSimulator({
  validateBearer: (token) => (oauth ? oauth.validateAccessToken(token) : { ok: false, reason: 'unknown' }),
} as Parameters<typeof startJiraCloudSimulator>[0]);
// Confluence on the same site (cloud id), accepting the same OAuth tokens at /ex/confluence/{cloudId}.
const confluence = await startConfluenceSimulator({
  cloudId: jira.cloudId,
  validateBearer: (token) => (oauth ? oauth.validateAccessToken(token) : { ok: false, reason: 'unknown' }),
});
oauth = await startAtlassianOAuthSimulator({
  sites: [{ cloudId: jira.cloudId, url: jira.url, name: 'sim-site' }],
  // apiUrl plays api.atlassian.com: accessible-resources, /me, and /ex/jira, /ex/confluence forwarded.
  products: { jira: jira.url, confluence: confluence.url },
  redirectUris: (process.env.SIM_REDIRECT_URIS ?? 'http://localhost:3001/api/v1/auth/atlassian/callback,http://localhost:3001/api/jira/callback,http://localhost:3001/oauth/jira')
    .split(',')
    .map((uri) => uri.trim()),
});
const jiraServer = await startJiraServerSimulator();
const github = await startGitHubSimulator();
const servicenow = await startServiceNowSimulator();

const line = {
  jira: {
    url: jira.url,
    gatewayUrl: jira.gatewayUrl,
    cloudId: jira.cloudId,
    email: jira.credentials.email,
    apiToken: jira.credentials.apiToken,
  },
  jiraServer: { url: jiraServer.url, pat: jiraServer.credentials.pat, username: jiraServer.credentials.username, password: jiraServer.credentials.password },
  confluence: {
    url: confluence.url,
    gatewayUrl: confluence.gatewayUrl,
    cloudId: confluence.cloudId,
    email: confluence.credentials.email,
    apiToken: confluence.credentials.apiToken,
  },
  github: {
    url: github.url,
    apiUrl: github.apiUrl,
    graphqlUrl: github.graphqlUrl,
    token: github.token,
    readOnlyToken: github.readOnlyToken,
    repos: github.repos,
    app: github.githubApp && { id: github.githubApp.id, clientId: github.githubApp.clientId, installationId: github.githubApp.installationId, privateKeyPem: github.githubApp.privateKeyPem },
  },
  atlassianOAuth: {
    url: oauth.url,
    authUrl: oauth.authorizeUrl,
    tokenUrl: oauth.tokenUrl,
    apiUrl: oauth.apiUrl,
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
    redirectUris: oauth.redirectUris,
  },
  servicenow: {
    url: servicenow.url,
    username: servicenow.credentials.username,
    password: servicenow.credentials.password,
    clientId: servicenow.credentials.clientId,
    clientSecret: servicenow.credentials.clientSecret,
    redirectUris: servicenow.redirectUris,
  },
};
process.stdout.write(`${JSON.stringify(line)}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([jira.close(), confluence.close(), oauth?.close(), jiraServer.close(), github.close(), servicenow.close()]);
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
