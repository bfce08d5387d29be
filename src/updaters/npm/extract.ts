/**
 * Finds every versioned dependency of a package.json: the four dependency maps, npm `overrides`
 * (nested to any depth), Yarn `resolutions` and `pnpm.overrides`, with the span of each spec string.
 * Specs that are not registry ranges (workspace:, file:, git, URLs, `$ref`, catalog:) are returned
 * with a skip reason so callers can say why they were left alone.
 */
import semver from 'semver';
import type { ExtractedDependency, RefusalCode } from '../types.ts';
import { type JsonEntry, type JsonNode, parseJson } from './json-scan.ts';

const DEPENDENCY_MAPS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

export function extractNpm(content: string): ExtractedDependency[] {
  const root = parseJson(content);
  if (root.type !== 'object') throw new Error('package.json is not an object');
  const deps: ExtractedDependency[] = [];
  for (const { key, value } of root.entries) {
    if (value.type !== 'object') continue;
    if (DEPENDENCY_MAPS.includes(key)) {
      for (const entry of value.entries) addSpec(deps, entry.key, entry, key);
    } else if (key === 'overrides') {
      walkOverrides(deps, value.entries, 'overrides', undefined);
    } else if (key === 'resolutions') {
      for (const entry of value.entries) addSpec(deps, resolutionTarget(entry.key), entry, key);
    } else if (key === 'pnpm') {
      const overrides = value.entries.find((e) => e.key === 'overrides');
      if (overrides?.value.type === 'object') {
        for (const entry of overrides.value.entries) addSpec(deps, pnpmTarget(entry.key), entry, 'pnpm.overrides');
      }
    }
  }
  return deps;
}

/** npm overrides: a value is a spec or an object scoped to that package, whose "." is the package itself. */
function walkOverrides(deps: ExtractedDependency[], entries: JsonEntry[], kind: string, parent: string | undefined): void {
  for (const entry of entries) {
    const name = entry.key === '.' && parent ? parent : stripSelectorVersion(entry.key);
    if (entry.value.type === 'object') walkOverrides(deps, entry.value.entries, `${kind}.${name}`, name);
    else addSpec(deps, name, entry, kind);
  }
}

/** `@npm/bar@2.0.0` → `@npm/bar`; `lodash@^3` → `lodash`. */
function stripSelectorVersion(selector: string): string {
  const at = selector.indexOf('@', 1);
  return at > 0 ? selector.slice(0, at) : selector;
}

/** Yarn patterns `**\/left-pad`, `d2/left-pad`, `@s/a/@s/b`: the last package of the path. */
function resolutionTarget(pattern: string): string {
  const segments = pattern.split('/');
  const last = segments.at(-1) ?? pattern;
  const scope = segments.at(-2);
  return stripSelectorVersion(scope?.startsWith('@') ? `${scope}/${last}` : last);
}

/** pnpm selectors `foo`, `bar@^2`, `qar@1>zoo`: the package after the last `>`. */
function pnpmTarget(selector: string): string {
  return stripSelectorVersion(selector.slice(selector.lastIndexOf('>') + 1));
}

function addSpec(deps: ExtractedDependency[], name: string, entry: JsonEntry, kind: string): void {
  const node: JsonNode = entry.value;
  if (node.type !== 'string') return;
  const base = { name, rawName: entry.key, kind, currentValue: node.value, span: { start: node.start, end: node.end } };
  // Escaped characters would make the span text differ from the value; such specs are never ranges.
  if (node.end - node.start !== node.value.length) {
    deps.push({ ...base, span: null, skipReason: 'unsupported-requirement', skipMessage: `'${node.value}' is not a version range` });
    return;
  }
  const alias = /^npm:((?:@[^/@]+\/)?[^@]+)@(.+)$/.exec(node.value);
  if (alias) {
    const offset = node.start + node.value.length - alias[2]!.length;
    deps.push({ ...classify({ ...base, name: alias[1]!, currentValue: alias[2]!, span: { start: offset, end: node.end } }) });
    return;
  }
  deps.push(classify(base));
}

function classify(dep: ExtractedDependency): ExtractedDependency {
  const skip = skipFor(dep.currentValue);
  if (!skip) return dep;
  return { ...dep, skipReason: skip[0], skipMessage: `${dep.rawName} is '${dep.currentValue}': ${skip[1]}` };
}

function skipFor(spec: string): [RefusalCode, string] | null {
  if (spec.startsWith('workspace:')) return ['workspace-protocol', 'a workspace package, versioned by the workspace'];
  if (/^(file:|link:|portal:|\.{0,2}\/|~\/)/.test(spec)) return ['path-source', 'a local path, not a registry version'];
  if (/^(git\+|git:|github:|gitlab:|bitbucket:)/.test(spec) || /\.git(#.*)?$/.test(spec)) {
    return ['git-source', 'a git dependency; change its ref by hand'];
  }
  if (/^https?:/.test(spec)) return ['url-source', 'a tarball URL, not a registry version'];
  if (spec.startsWith('$')) return ['reference', 'follows the direct dependency it names; update that one'];
  if (spec.startsWith('catalog:')) return ['version-defined-elsewhere', 'the version lives in the pnpm catalog'];
  if (spec.startsWith('npm:')) return ['alias', 'an alias that could not be read'];
  if (/^[^@\s]+\/[^\s]+/.test(spec)) return ['git-source', 'a GitHub shorthand; change its ref by hand'];
  if (semver.validRange(spec) === null) return ['unsupported-requirement', 'not a semver range (dist-tag or invalid)'];
  return null;
}
