/**
 * Gradle version catalogs (`gradle/libs.versions.toml`, any `*.versions.toml`): libraries by
 * `group:name` and plugins by id, with the span of the version they use — inline, in a `"g:a:v"`
 * string, or in the `[versions]` key their `version.ref` names (shared keys move every user).
 * Rich versions (`strictly`/`require`/`prefer`/`reject` together) are reported as not updatable.
 */
import type { ExtractedDependency } from '../types.ts';
import { scanToml, type TomlEntry, type TomlString } from './toml-scan.ts';
import { isDynamicVersion } from './versioning.ts';

const RICH = ['strictly', 'require', 'prefer'];

/** A single version out of a plain string or a rich-version table with exactly one of strictly/require/prefer. */
function singleVersion(values: Map<string, TomlString>, prefix: string): TomlString | 'rich' | null {
  const plain = values.get(prefix);
  if (plain) return plain;
  const rich = [...values.keys()].filter((k) => k.startsWith(prefix ? `${prefix}.` : ''));
  const picked = RICH.map((r) => values.get(prefix ? `${prefix}.${r}` : r)).filter((v) => v !== undefined);
  if (rich.length === 0) return null;
  return rich.length === 1 && picked.length === 1 ? picked[0]! : 'rich';
}

export function extractCatalog(content: string): ExtractedDependency[] {
  const entries = scanToml(content);
  const versions = new Map(entries.filter((e) => e.table === 'versions').map((e) => [e.key, singleVersion(e.values, '')]));
  const deps: ExtractedDependency[] = [];
  for (const entry of entries) {
    if (entry.table !== 'libraries' && entry.table !== 'plugins') continue;
    const dep = entry.table === 'libraries' ? library(entry, versions) : plugin(entry, versions);
    if (dep) deps.push(dep);
  }
  return deps;
}

type Versions = Map<string, TomlString | 'rich' | null>;

function library(entry: TomlEntry, versions: Versions): ExtractedDependency | null {
  const notation = entry.values.get('');
  if (notation && !entry.inline) {
    const m = /^([^:]+):([^:]+)(?::(.+))?$/.exec(notation.value);
    if (!m) return null;
    const version = m[3] ? { start: notation.end - m[3].length, end: notation.end, value: m[3] } : null;
    return withVersion(`${m[1]}:${m[2]}`, '[libraries]', version);
  }
  const module = entry.values.get('module')?.value;
  const group = entry.values.get('group')?.value;
  const name = entry.values.get('name')?.value;
  const id = module ?? (group && name ? `${group}:${name}` : null);
  return id ? fromTable(id, '[libraries]', entry, versions) : null;
}

function plugin(entry: TomlEntry, versions: Versions): ExtractedDependency | null {
  const notation = entry.values.get('');
  if (notation && !entry.inline) {
    const [id, version] = notation.value.split(':');
    const span = version ? { start: notation.end - version.length, end: notation.end, value: version } : null;
    return withVersion(id!, '[plugins]', span);
  }
  const id = entry.values.get('id')?.value;
  return id ? fromTable(id, '[plugins]', entry, versions) : null;
}

function fromTable(name: string, kind: string, entry: TomlEntry, versions: Versions): ExtractedDependency {
  const ref = entry.values.get('version.ref')?.value;
  if (ref !== undefined) {
    const target = versions.get(ref);
    if (target === undefined) {
      return { name, rawName: name, kind, currentValue: '', span: null, property: ref, skipReason: 'version-defined-elsewhere', skipMessage: `version.ref "${ref}" is not in [versions]` };
    }
    const dep = withVersion(name, kind, target);
    return { ...dep, property: ref };
  }
  return withVersion(name, kind, singleVersion(entry.values, 'version'));
}

function withVersion(name: string, kind: string, version: TomlString | 'rich' | null): ExtractedDependency {
  const base = { name, rawName: name, kind };
  if (version === 'rich') return { ...base, currentValue: '', span: null, skipReason: 'unsupported-requirement', skipMessage: `${name} uses a rich version (strictly/require/prefer/reject); edit it by hand` };
  if (!version) return { ...base, currentValue: '', span: null, skipReason: 'no-version', skipMessage: `${name} has no version in the catalog` };
  const dep = { ...base, currentValue: version.value, span: { start: version.start, end: version.end } };
  if (isDynamicVersion(version.value)) return { ...dep, skipReason: 'dynamic-version', skipMessage: `${name} uses the dynamic version ${version.value}` };
  return dep;
}
