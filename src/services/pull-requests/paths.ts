/**
 * Names the engine derives or accepts: manifest paths a caller gives (seed 001 `dependency_files`),
 * which must stay inside the repository, and deterministic branch names, so a retry or a second run
 * for the same bump lands on the same branch and finds the same PR.
 */
import { createHash } from 'node:crypto';
import { repoPathProblem } from '../../contracts/git-names.ts';
import { canonicalEcosystem } from './ecosystems.ts';

export class ManifestPathError extends Error {
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`manifest path '${path}' is refused: ${reason}`);
    this.name = 'ManifestPathError';
    this.path = path;
  }
}

/**
 * A repository-relative, `/`-separated path with no way out of the checkout and nothing in `.git`
 * (src/contracts/git-names.ts: the rule the request schemas and the git layer use too). Refused
 * rather than normalised: `a/../package.json` is not silently turned into `package.json`, because a
 * caller who sends it is either confused or probing.
 */
export function checkManifestPath(path: string): string {
  const problem = repoPathProblem(path);
  if (problem !== null) throw new ManifestPathError(path, problem);
  return path;
}

/** One ref component from free text: git forbids `..`, `~^:?*[\`, spaces, `@{`, leading dots and `.lock`. */
function refSafe(text: string): string {
  const cleaned = text
    .replace(/^@/, '')
    .replace(/[^A-Za-z0-9._/+-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/\/{2,}/g, '/')
    .split('/')
    .map((part) => part.replace(/^[.-]+/, '').replace(/\.lock$/i, '-lock').replace(/\.$/, ''))
    .filter((part) => part.length > 0)
    .join('/');
  return cleaned || 'package';
}

/** `security/<ecosystem>/<package>-<version>`: the seeds' convention, made ref-safe. */
export function defaultBranchName(ecosystem: string, packageName: string, fixedVersion: string): string {
  return `security/${refSafe(canonicalEcosystem(ecosystem))}/${refSafe(`${packageName}-${fixedVersion}`)}`.slice(0, 200);
}

/** One branch per set of bumps: the same set (in any order) always gives the same branch. */
export function groupBranchName(items: { ecosystem: string; packageName: string; fixedVersion: string }[]): string {
  const keys = items.map((item) => `${canonicalEcosystem(item.ecosystem)}:${item.packageName}@${item.fixedVersion}`).sort();
  const hash = createHash('sha256').update([...new Set(keys)].join('\n')).digest('hex').slice(0, 10);
  return `security/batch-${hash}`;
}
