/** The Gradle updater: build scripts, gradle.properties and version catalogs. */
import type { Updater } from '../types.ts';
import { runUpdate, type UpdatePolicy } from '../update-flow.ts';
import { extractGradle } from './extract.ts';
import { bumpGradleRequirement, isGradleVersion } from './versioning.ts';

const policy: UpdatePolicy = {
  extract: extractGradle,
  normalizeFixed: (version) => (isGradleVersion(version) ? version : null),
  matches: (dep, name) => dep.name === name,
  bump: (dep, fixed) => bumpGradleRequirement(dep.currentValue, fixed),
};

export const gradleUpdater: Updater = {
  ecosystem: 'gradle',
  fileMatch: (path) => /(^|\/)(build\.gradle(\.kts)?|[^/]*\.gradle(\.kts)?|gradle\.properties|[^/]*\.versions\.toml)$/.test(path),
  extract: extractGradle,
  update: (content, path, request) => runUpdate(policy, content, path, request),
};
