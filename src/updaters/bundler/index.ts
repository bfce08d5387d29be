/** The Bundler updater: Gemfile requirements, RubyGems versions; Gemfile.lock must then be regenerated. */
import type { Updater } from '../types.ts';
import { runUpdate, type UpdatePolicy } from '../update-flow.ts';
import { extractGemfile } from './extract.ts';
import { bumpGemRequirement } from './range.ts';
import { isGemVersion } from './versioning.ts';

const policy: UpdatePolicy = {
  extract: (content) => extractGemfile(content),
  normalizeFixed: (version) => (isGemVersion(version) ? version : null),
  matches: (dep, name) => dep.name === name,
  bump: (dep, fixed) => bumpGemRequirement(dep, fixed),
  afterNotes: (changes) => [
    {
      code: 'lockfile-must-be-regenerated',
      message: `Gemfile.lock must be regenerated (bundle lock --update ${[...new Set(changes.map((c) => c.name))].join(' ')}); it cannot be edited as text`,
    },
  ],
};

export const bundlerUpdater: Updater = {
  ecosystem: 'bundler',
  fileMatch: (path) => /(^|\/)(Gemfile|gems\.rb)$/.test(path),
  extract: (content) => extractGemfile(content),
  update: (content, path, request) => runUpdate(policy, content, path, request),
};
