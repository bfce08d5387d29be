/**
 * Go module version ordering: `v` + SemVer 2.0.0, where pseudo-versions are prereleases of the next
 * patch and so order correctly under SemVer, and `+incompatible` is build metadata ignored for
 * ordering. Also the major-version-suffix rules that tie a module path to its major version.
 */
import semver from 'semver';

/** `1.2.3` or `v1.2.3` → `v1.2.3`; null when not a full semantic version. */
export function normalizeGoVersion(version: string): string | null {
  const bare = version.replace(/^v/, '');
  return semver.valid(bare) === null || !/^\d+\.\d+\.\d+/.test(bare) ? null : `v${bare}`;
}

export function compareGoVersions(a: string, b: string): number {
  return semver.compare(a.replace(/^v/, ''), b.replace(/^v/, ''));
}

export const goMajor = (version: string): number => semver.major(version.replace(/^v/, ''));

export interface ModulePath {
  /** The path without its major suffix (`github.com/a/b` for `github.com/a/b/v3`, `gopkg.in/yaml` for `gopkg.in/yaml.v3`). */
  base: string;
  /** The major the path admits: the suffix number, or 1 for paths without one (v0 and v1). */
  major: number;
  gopkgIn: boolean;
}

export function parseModulePath(path: string): ModulePath {
  const gopkg = /^(gopkg\.in\/.+)\.v(\d+)(-unstable)?$/.exec(path);
  if (gopkg) return { base: gopkg[1]!, major: Math.max(Number(gopkg[2]), 1), gopkgIn: true };
  const suffix = /^(.+)\/v(\d+)$/.exec(path);
  if (suffix && Number(suffix[2]) >= 2) return { base: suffix[1]!, major: Number(suffix[2]), gopkgIn: false };
  return { base: path, major: 1, gopkgIn: false };
}

/** The path a module has at a given major (`/vN` from v2 on; gopkg.in always carries `.vN`). */
export function pathForMajor(path: ModulePath, major: number): string {
  if (path.gopkgIn) return `${path.base}.v${major}`;
  return major >= 2 ? `${path.base}/v${major}` : path.base;
}
