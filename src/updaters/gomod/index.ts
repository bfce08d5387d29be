/** The Go modules updater: go.mod requirements and replace targets. */
import type { Updater } from '../types.ts';
import { runUpdate, type UpdatePolicy } from '../update-flow.ts';
import { extractGoMod } from './extract.ts';
import { bumpGoRequirement } from './update.ts';
import { normalizeGoVersion, parseModulePath } from './versioning.ts';

const policy: UpdatePolicy = {
  extract: (content) => extractGoMod(content),
  normalizeFixed: normalizeGoVersion,
  // The same module at another major is the same package for a fix that crosses majors.
  matches: (dep, name) => dep.name === name || parseModulePath(dep.name).base === parseModulePath(name).base,
  bump: (dep, fixed) => bumpGoRequirement(dep, fixed),
  afterNotes: () => [{ code: 'lockfile-must-be-regenerated', message: 'go.sum must be regenerated (go mod tidy)' }],
};

export const gomodUpdater: Updater = {
  ecosystem: 'gomod',
  fileMatch: (path) => /(^|\/)go\.mod$/.test(path),
  extract: (content) => extractGoMod(content),
  update: (content, path, request) => runUpdate(policy, content, path, request),
};
