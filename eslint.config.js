// Lint configuration: ESLint's and typescript-eslint's recommended rules over the whole project,
// and the import direction between the layers of src/.
// (Biome was tried first; its platform binaries are not all on the registry these machines reach,
// which breaks `npm ci`.)
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Import direction (README "Development", shared STYLE.md §9), checked by eslint-plugin-boundaries
 * over src/. Each layer may import the layers below it, never one above:
 *
 *   entry (src/main, src/runtime.ts)
 *   http (src/app.ts, src/http) and job handlers (src/jobs/handlers)
 *   services (src/services)
 *   providers (src/providers/<name>, never one another)
 *   infrastructure (src/db, src/jobs without handlers, src/git, src/http-client, src/crypto,
 *     src/shared-state, src/auth, src/oauth: the OAuth 2.0 protocol steps and one-use state)
 *   contracts (src/contracts), domain (src/domain: pure)
 *   importers (src/importers: pure parsing of scanner reports into findings; may use the domain)
 *   updaters (src/updaters: pure; the registry owns ecosystem names, which the domain folds)
 *   base (src/errors, src/lib, src/config, src/logging)
 *
 * src/context.ts is the type of the wired dependencies (type imports only): it names every layer
 * and is handed to http, job handlers and services.
 */
const allowed = {
  entry: ['entry', 'http', 'handlers', 'services', 'providers', 'importers', 'updaters', 'infra', 'contracts', 'domain', 'base', 'context'],
  http: ['http', 'services', 'providers', 'importers', 'updaters', 'infra', 'contracts', 'domain', 'base', 'context'],
  // Job handlers and services reach providers only through the registry and the provider-neutral
  // interfaces (the policy `neutralProviders` below), never a provider's own folder.
  handlers: ['handlers', 'services', 'importers', 'updaters', 'infra', 'contracts', 'domain', 'base', 'context'],
  services: ['services', 'importers', 'updaters', 'infra', 'contracts', 'domain', 'base', 'context'],
  // Not 'providers': a provider never imports another one (its own folder is one element).
  providers: ['infra', 'contracts', 'domain', 'updaters', 'base'],
  updaters: ['base'],
  infra: ['infra', 'contracts', 'domain', 'updaters', 'base'],
  contracts: ['contracts', 'domain', 'updaters', 'base'],
  // The updater registry owns the ecosystem names that fingerprints fold (both are pure).
  domain: ['domain', 'updaters', 'base'],
  importers: ['importers', 'domain', 'updaters', 'base'],
  base: ['base'],
  context: ['entry', 'http', 'handlers', 'services', 'providers', 'updaters', 'infra', 'contracts', 'domain', 'base'],
};

// Element patterns name folders; the three files at the root of src/ are told apart by path.
const rootFile = (name) => ({ element: { type: 'root' }, file: { path: `src/${name}` } });
const members = {
  entry: [{ element: { type: 'entry' } }, rootFile('runtime.ts')],
  http: [{ element: { type: 'http' } }, rootFile('app.ts')],
  context: [rootFile('context.ts')],
  ...Object.fromEntries(
    ['handlers', 'services', 'providers', 'importers', 'updaters', 'infra', 'contracts', 'domain', 'base'].map((layer) => [layer, [{ element: { type: layer } }]]),
  ),
};
const layerPolicies = Object.entries(allowed).flatMap(([layer, targets]) =>
  members[layer].map((from) => ({ from, allow: { to: targets.flatMap((target) => members[target]) } })),
);

/** Modules that do I/O: the domain and the updaters are pure functions over values and text. */
const ioModules = ['fs', 'net', 'http', 'https', 'http2', 'dns', 'child_process', 'tls', 'dgram', 'worker_threads'].flatMap((name) => [
  name,
  `${name}/*`,
  `node:${name}`,
  `node:${name}/*`,
]);
const ioPackages = ['undici', 'pg', 'ioredis', 'pg-boss', '@electric-sql/pglite', '@electric-sql/pglite/*', 'drizzle-orm', 'drizzle-orm/*', '@octokit/*'];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'bench/results/', 'web/dist/', 'coverage/', 'tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': [
        { type: 'entry', pattern: 'src/main', partialMatch: false },
        { type: 'http', pattern: 'src/http', partialMatch: false },
        { type: 'handlers', pattern: 'src/jobs/handlers', partialMatch: false },
        { type: 'services', pattern: 'src/services', partialMatch: false },
        { type: 'providers', pattern: 'src/providers/*', partialMatch: false, capture: ['provider'] },
        // Files directly in src/providers (the registry, which names every provider folder: see the
        // policy below) belong to the providers layer too.
        { type: 'providers', pattern: 'src/providers', partialMatch: false },
        { type: 'updaters', pattern: 'src/updaters', partialMatch: false },
        { type: 'importers', pattern: 'src/importers', partialMatch: false },
        { type: 'infra', pattern: 'src/{db,jobs,git,http-client,crypto,shared-state,auth,oauth}', partialMatch: false },
        { type: 'contracts', pattern: 'src/contracts', partialMatch: false },
        { type: 'domain', pattern: 'src/domain', partialMatch: false },
        { type: 'base', pattern: 'src/{errors,lib,config,logging}', partialMatch: false },
        // Last: whatever else is in src/. The three root files are told apart by path (rootFile); a
        // new folder lands here too, and may import nothing until it is given a layer above.
        { type: 'root', pattern: 'src', partialMatch: false },
      ],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: [
            ...layerPolicies,
            // The provider kinds shared by every provider folder (descriptor schema, credentials,
            // the code-host and ticketing interfaces) import none of the provider folders; the
            // registry (src/providers/registry.ts) is the one file that names them all.
            {
              from: { element: { type: 'providers' } },
              allow: { to: { file: { path: 'src/providers/{descriptor,credentials,code-host,ticketing}/**' } } },
            },
            {
              from: { element: { type: 'providers' }, file: { path: 'src/providers/registry.ts' } },
              allow: { to: { element: { type: 'providers' } } },
            },
            // Services and job handlers name no provider: they use the registry (which finds a
            // provider's implementation by id) and the provider-neutral kinds (descriptor,
            // credentials, the code-host and ticketing interfaces); src/providers/jira and the
            // other provider folders are off limits (issue 10: adding a provider touches no service).
            ...['services', 'handlers'].map((layer) => ({
              from: { element: { type: layer } },
              allow: { to: { file: { path: 'src/providers/{registry.ts,descriptor/**,credentials/**,code-host/**,ticketing/**}' } } },
            })),
            // The configuration reports a malformed ENCRYPTION_KEYS together with every other
            // problem at start, with crypto's pure parser (these two files import nothing else).
            {
              from: { element: { type: 'base' }, file: { path: 'src/config/**' } },
              allow: { to: { file: { path: 'src/crypto/{parse-keys,errors}.ts' } } },
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts', 'src/updaters/**/*.ts', 'src/importers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: [...ioModules, ...ioPackages], message: 'src/domain and src/updaters are pure (no I/O): take values in, give values back.' }] },
      ],
    },
  },
  // The web UI (web/src) runs in the browser and talks to the service only through its public API.
  // It shares the API's shapes: types (import type, erased at build) from src/contracts, nothing else.
  {
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/src/*', '!**/src/contracts', 'node:*'], message: 'The web UI uses the public API only: no server modules, no Node modules.' },
            { group: ['**/src/contracts/*'], allowTypeImports: true, message: 'The web UI imports only types from src/contracts (import type): the zod schemas stay on the server.' },
          ],
        },
      ],
    },
  },
);
