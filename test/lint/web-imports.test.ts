/**
 * The web UI's import rule (eslint.config.js): web/src may take the API's shapes from src/contracts
 * as types only (erased at build, so no zod in the bundle); a value from src/contracts, any other
 * server module and Node modules are refused.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function problems(code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: 'web/src/api/zz-case.ts' });
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
}

describe('web UI imports', () => {
  it('allows type-only imports from src/contracts', async () => {
    expect(await problems("import type { AuditLogPage } from '../../../src/contracts/audit-log.ts';\nexport type Page = AuditLogPage;\n")).toEqual([]);
    expect(await problems("export type { PullRequestView } from '../../../src/contracts/pull-requests.ts';\n")).toEqual([]);
  });

  it.each([
    ['a zod schema (value) from src/contracts', "import { auditLogQuery } from '../../../src/contracts/audit-log.ts';\nexport const used = auditLogQuery;", /only types from src\/contracts/],
    ['a server module', "import { buildApp } from '../../../src/app.ts';\nexport const used = buildApp;", /public API only/],
    ['a type from a server module outside src/contracts', "import type { AppContext } from '../../../src/context.ts';\nexport type Used = AppContext;", /public API only/],
    ['a Node module', "import fs from 'node:fs';\nexport const used = fs;", /public API only/],
  ])('refuses %s', async (_name, code, message) => {
    expect((await problems(code)).join('\n')).toMatch(message);
  });
});
