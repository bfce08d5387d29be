/**
 * The import-direction rule of eslint.config.js (README "Development", STYLE.md §9) refuses what it
 * should and allows what it should: each case lints a small file placed in a layer of src/ (the
 * text is linted in memory; the imported files are real).
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
}

describe('import direction', () => {
  it.each([
    ['a service importing the HTTP layer', 'src/services/zz-case.ts', "import { tenantOf } from '../http/plugins/auth.ts';"],
    ['the database layer importing a service', 'src/db/zz-case.ts', "import { getFinding } from '../services/findings.ts';"],
    ['a provider importing another provider', 'src/providers/github/zz-case.ts', "import { JiraError } from '../jira/index.ts';"],
    ['the domain importing storage', 'src/domain/zz-case.ts', "import { findings } from '../db/schema.ts';"],
    ['an updater importing the outbound client', 'src/updaters/zz-case.ts', "import { createOutboundClient } from '../http-client/index.ts';"],
    ['an updater importing the domain', 'src/updaters/zz-case.ts', "import { parseSeverity } from '../domain/severity.ts';"],
    ['the HTTP layer importing the CLI', 'src/http/zz-case.ts', "import { main } from '../main/cli.ts';"],
    ['a base module importing the app context', 'src/lib/zz-case.ts', "import type { AppContext } from '../context.ts';"],
    ['configuration importing crypto beyond its key parser', 'src/config/zz-case.ts', "import { loadOrCreateKeyFile } from '../crypto/key-file.ts';"],
    ['a service importing a provider folder (Jira)', 'src/services/tickets/zz-case.ts', "import { JiraError } from '../../providers/jira/index.ts';"],
    ['a service importing a provider file directly', 'src/services/zz-case.ts', "import { createJiraTicketing } from '../providers/jira/ticketing.ts';"],
    ['a job handler importing a provider folder (GitHub)', 'src/jobs/handlers/zz-case.ts', "import { GitHubError } from '../../providers/github/index.ts';"],
  ])('refuses %s', async (_name, filePath, code) => {
    expect((await problems(filePath, `${code}\nexport const used = [${code.match(/\{ (?:type )?(\w+)/)?.[1]}];\n`)).join('\n')).toMatch(
      /boundaries\/dependencies: There is no policy allowing dependencies from elements of type/,
    );
  });

  it.each([
    ['the domain doing file I/O', 'src/domain/zz-case.ts', "import { readFileSync } from 'node:fs';\nexport const used = [readFileSync];"],
    ['an updater opening a socket', 'src/updaters/zz-case.ts', "import { connect } from 'node:net';\nexport const used = [connect];"],
    ['an updater calling the network', 'src/updaters/zz-case.ts', "import { request } from 'undici';\nexport const used = [request];"],
  ])('refuses %s', async (_name, filePath, code) => {
    expect((await problems(filePath, code)).join('\n')).toMatch(/no-restricted-imports: .*pure \(no I\/O\)/);
  });

  it('refuses imports from a folder of src/ that belongs to no layer (it must be placed in one)', async () => {
    const code = "import { formatIsoInZone } from '../lib/time.ts';\nexport const used = [formatIsoInZone];";
    expect((await problems('src/zz-new-folder/thing.ts', code)).join('\n')).toMatch(/boundaries\/dependencies/);
  });

  it.each([
    ['the HTTP layer importing services and storage', 'src/http/zz-case.ts', "import { getFinding } from '../services/findings.ts';\nimport { findings } from '../db/schema.ts';\nexport const used = [getFinding, findings];"],
    ['a service importing the provider registry, the updaters and the context type', 'src/services/zz-case.ts', "import type { AppContext } from '../context.ts';\nimport { ticketingFor } from '../providers/registry.ts';\nimport { updaters } from '../updaters/registry.ts';\nexport const used: [AppContext | null, unknown, unknown] = [null, ticketingFor, updaters];"],
    ['a service using the ticketing, code-host and credential interfaces', 'src/services/zz-case.ts', "import type { TicketingClient } from '../providers/ticketing/index.ts';\nimport type { CodeHost } from '../providers/code-host/index.ts';\nimport { staticCredentials } from '../providers/credentials/index.ts';\nexport const used: [TicketingClient | null, CodeHost | null, unknown] = [null, null, staticCredentials];"],
    ['a job handler importing the provider registry', 'src/jobs/handlers/zz-case.ts', "import { ticketingProviders } from '../../providers/registry.ts';\nexport const used = [ticketingProviders];"],
    ['a job handler importing a service', 'src/jobs/handlers/zz-case.ts', "import { getFinding } from '../../services/findings.ts';\nexport const used = [getFinding];"],
    ['a provider importing the outbound client and a file of its own folder', 'src/providers/jira/zz-case.ts', "import { createOutboundClient } from '../../http-client/index.ts';\nimport { JiraError } from './errors.ts';\nexport const used = [createOutboundClient, JiraError];"],
    ['the domain folding ecosystem names with the updater registry', 'src/domain/zz-case.ts', "import { resolveEcosystem } from '../updaters/registry.ts';\nexport const used = [resolveEcosystem];"],
    ['configuration using the key parser', 'src/config/zz-case.ts', "import { parseEncryptionKeys } from '../crypto/parse-keys.ts';\nexport const used = [parseEncryptionKeys];"],
    ['the CLI importing the app', 'src/main/zz-case.ts', "import { buildApp } from '../app.ts';\nexport const used = [buildApp];"],
  ])('allows %s', async (_name, filePath, code) => {
    expect(await problems(filePath, code)).toEqual([]);
  });
});
