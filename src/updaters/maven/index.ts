/** The Maven updater: pom.xml coordinates and <properties>, ComparableVersion ordering. */
import type { Updater } from '../types.ts';
import { runUpdate, type UpdatePolicy } from '../update-flow.ts';
import { extractPom } from './extract.ts';
import { bumpMavenRequirement } from './range.ts';
import { isMavenVersion } from './versioning.ts';

const policy: UpdatePolicy = {
  extract: (content) => extractPom(content),
  normalizeFixed: (version) => (isMavenVersion(version) ? version : null),
  matches: (dep, name) => dep.name === name,
  bump: (dep, fixed) => bumpMavenRequirement(dep.currentValue, fixed),
};

export const mavenUpdater: Updater = {
  ecosystem: 'maven',
  fileMatch: (path) => /(^|\/)pom\.xml$/.test(path),
  extract: (content) => extractPom(content),
  update: (content, path, request) => runUpdate(policy, content, path, request),
};
