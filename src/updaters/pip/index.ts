/** The pip updater: requirements files, PEP 508 requirements, PEP 440 versions. */
import type { Updater } from '../types.ts';
import { refuse } from '../types.ts';
import { runUpdate, type UpdatePolicy } from '../update-flow.ts';
import { extractIncludes, extractPip, normalizePipName } from './extract.ts';
import { bumpPipSpec } from './range.ts';
import { isPep440 } from './versioning.ts';

export { extractIncludes } from './extract.ts';

const policy: UpdatePolicy = {
  extract: (content) => extractPip(content),
  normalizeFixed: (version) => (isPep440(version) ? version.replace(/^v/i, '') : null),
  matches: (dep, name) => dep.name === normalizePipName(name),
  bump: (dep, fixed) => {
    const decision = bumpPipSpec(dep.currentValue, fixed);
    if (decision.kind === 'bump' && dep.hashPinned) {
      return refuse('hashes-required', `${dep.rawName} is pinned with --hash values; the new version needs new hashes from the index`);
    }
    return decision;
  },
};

export const pipUpdater: Updater = {
  ecosystem: 'pip',
  fileMatch: (path) => /(^|\/)[\w.-]*requirements[\w.-]*\.(txt|in)$/.test(path),
  extract: (content) => extractPip(content),
  update: (content, path, request) => {
    const result = runUpdate(policy, content, path, request);
    if (!result.ok && result.code === 'package-not-found') {
      const includes = extractIncludes(content).map((i) => `${i.option} ${i.path}`);
      if (includes.length > 0) return { ...result, reason: `${result.reason}; it may be declared in an included file (${includes.join(', ')})` };
    }
    return result;
  },
};
