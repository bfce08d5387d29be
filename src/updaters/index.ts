/** Public surface of the updaters: the contract, the registry and the pip include lister. */
export { extractIncludes } from './pip/index.ts';
export { ecosystemAliases, ecosystemNames, manifestEcosystems, resolveEcosystem, updaterFor, updaters } from './registry.ts';
export type { Change, Ecosystem, ExtractedDependency, Note, RefusalCode, Span, UpdateRequest, UpdateResult, Updater } from './types.ts';
export { ecosystems } from './types.ts';
