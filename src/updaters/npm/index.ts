/** The npm updater: package.json dependency maps, overrides and resolutions, node-semver ranges. */
import semver from 'semver';
import type { Updater } from '../types.ts';
import { runUpdate, type UpdatePolicy } from '../update-flow.ts';
import { extractNpm } from './extract.ts';
import { bumpNpmRange } from './range.ts';

const policy: UpdatePolicy = {
  extract: (content) => extractNpm(content),
  normalizeFixed: (version) => semver.valid(version),
  matches: (dep, name) => dep.name === name,
  bump: (dep, fixed) => bumpNpmRange(dep.currentValue, fixed),
  afterNotes: () => [
    { code: 'lockfile-must-be-regenerated', message: 'package-lock.json / yarn.lock / pnpm-lock.yaml must be regenerated' },
  ],
};

export const npmUpdater: Updater = {
  ecosystem: 'npm',
  fileMatch: (path) => /(^|\/)package\.json$/.test(path),
  extract: (content) => extractNpm(content),
  update: (content, path, request) => runUpdate(policy, content, path, request),
};
