/**
 * From the repository's file list to the exact edits: which files may declare each package (the
 * updaters' own file matching, so nothing is read that no updater could edit), what each updater
 * makes of them, and — when nothing can be edited — why, in a sentence fit for the ticket.
 * Pure: the caller reads the blobs and hands the contents in.
 */
import { type Ecosystem, type Updater, updaterFor, updaters } from '../../updaters/index.ts';
import { updaterEcosystems } from './ecosystems.ts';
import type { FixItem, ItemEdit } from './types.ts';

/** Generated or vendored trees hold copies of manifests that are not the project's own. */
const IGNORED_SEGMENTS = new Set(['node_modules', 'vendor', 'bower_components', '.git', 'target', 'build', 'dist', '.venv', 'venv', 'site-packages']);
const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'go.sum', 'Gemfile.lock', 'poetry.lock', 'Pipfile.lock', 'gradle.lockfile'];
/** Manifests larger than this are not real hand-written manifests; reading them would only cost. */
export const MAX_MANIFEST_BYTES = 2 * 1024 * 1024;

export interface TreeFile {
  path: string;
  size?: number;
}

function ignored(path: string): boolean {
  return path.split('/').some((segment) => IGNORED_SEGMENTS.has(segment));
}

function updatersFor(item: FixItem): Updater[] {
  const wanted = updaterEcosystems(item.ecosystem);
  return updaters.filter((updater) => wanted.includes(updater.ecosystem));
}

/** The updater for one path and item: by file name among the item's ecosystems, else (a named path) the first of them. */
function updaterForPath(path: string, item: FixItem, named: boolean): Updater | undefined {
  const own = updatersFor(item);
  const byName = own.find((updater) => updater.fileMatch(path));
  if (byName) return byName;
  if (!named) return undefined;
  return own[0] ?? updaterFor(path);
}

/** Whether an updater of the ecosystem edits a file of this name (a manifest, not a lockfile). */
export function isManifestOf(ecosystem: string, path: string): boolean {
  const wanted = updaterEcosystems(ecosystem);
  return updaters.some((updater) => wanted.includes(updater.ecosystem) && updater.fileMatch(path));
}

/** Paths each item's manifests may be in: the caller's list, or every matching file of the tree. */
export function candidatePaths(item: FixItem, tree: TreeFile[]): string[] {
  if (item.manifestPaths && item.manifestPaths.length > 0) return [...new Set(item.manifestPaths)];
  const own = updatersFor(item);
  return tree
    .filter((file) => !ignored(file.path) && (file.size ?? 0) <= MAX_MANIFEST_BYTES && own.some((updater) => updater.fileMatch(file.path)))
    .map((file) => file.path)
    .sort();
}

/** Gradle reads gradle.properties of the project directory and its parents. */
function gradlePropertiesFor(scriptPath: string, paths: Set<string>): string[] {
  const found: string[] = [];
  const parts = scriptPath.split('/').slice(0, -1);
  for (let depth = parts.length; depth >= 0; depth--) {
    const candidate = [...parts.slice(0, depth), 'gradle.properties'].join('/');
    if (paths.has(candidate)) found.push(candidate);
  }
  return found;
}

export interface PlanResult {
  /** Path → content after every item's edits (only files that changed). */
  changed: Map<string, string>;
  items: ItemEdit[];
}

export interface PlanInput {
  items: FixItem[];
  /** Every path of the tree (to find gradle.properties and lockfiles, and to check named paths). */
  treePaths: Set<string>;
  /** Original contents of the files read; null = not in the tree (or unreadable as text). */
  contents: Map<string, string | null>;
}

type Refusal = { path: string; code: string; reason: string };

/**
 * Applies every item in turn, each on the output of the previous ones (a grouped PR may bump two
 * packages in one package.json). Only version bytes change: the updaters re-check every edit.
 */
export function planEdits(input: PlanInput): PlanResult {
  const current = new Map<string, string>();
  const read = (path: string): string | null => current.get(path) ?? input.contents.get(path) ?? null;
  const results: ItemEdit[] = [];

  for (const item of input.items) {
    const named = Boolean(item.manifestPaths && item.manifestPaths.length > 0);
    const ecosystem: Ecosystem = updaterEcosystems(item.ecosystem)[0] ?? 'npm';
    const edit: ItemEdit = { packageName: item.packageName, ecosystem, fixedVersion: item.fixedVersion, status: 'not_fixable', changes: [], manifests: [], notes: [] };
    const refusals: Refusal[] = [];
    let satisfied = 0;
    const paths = named ? (item.manifestPaths ?? []) : [...input.contents.keys()].filter((path) => candidatePathsMatch(item, path));

    const apply = (path: string, updater: Updater, packageName: string): void => {
      const content = read(path);
      if (content === null) {
        if (named) refusals.push({ path, code: 'manifest-not-found', reason: `${path} does not exist on the base branch` });
        return;
      }
      const result = updater.update(content, path, { packageName, fixedVersion: item.fixedVersion });
      if (!result.ok) {
        if (result.code === 'package-not-found') return;
        if (result.code === 'version-defined-elsewhere' && result.property && updater.ecosystem === 'gradle') {
          const files = gradlePropertiesFor(path, input.treePaths).filter((file) => read(file) !== null);
          const holder = files.find((file) => gradleUpdaterDeclares(read(file)!, file, result.property!));
          if (holder) {
            edit.notes.push({ path, code: 'version-in-properties', message: `${path} takes the version from \${${result.property}} in ${holder}` });
            edit.manifests.push(path);
            apply(holder, updater, result.property);
            return;
          }
        }
        edit.manifests.push(path);
        refusals.push({ path, code: result.code, reason: result.reason });
        return;
      }
      if (!edit.manifests.includes(path)) edit.manifests.push(path);
      for (const note of result.notes) {
        if (note.code === 'already-satisfied' && result.changes.length === 0) satisfied++;
        else edit.notes.push({ path, code: note.code, message: note.message });
      }
      if (result.changes.length > 0) {
        current.set(path, result.content);
        for (const change of result.changes) edit.changes.push({ path, from: change.from, to: change.to });
      }
    };

    for (const path of paths) {
      const updater = updaterForPath(path, item, named);
      if (!updater) {
        refusals.push({ path, code: 'unsupported-manifest', reason: `${path} is not a manifest any updater understands` });
        continue;
      }
      apply(path, updater, item.packageName);
    }

    if (edit.changes.length > 0) {
      edit.status = 'changed';
      for (const refusal of refusals) edit.notes.push({ path: refusal.path, code: 'not-updated', message: refusal.reason });
    } else if (satisfied > 0 && refusals.length === 0) {
      edit.status = 'satisfied';
    } else if (refusals.length > 0) {
      const first = refusals[0]!;
      edit.reasonCode = first.code;
      edit.reason = `${item.packageName} cannot be raised to ${item.fixedVersion} by editing a manifest: ${refusals.map((refusal) => `${refusal.path}: ${refusal.reason}`).join('; ')}`;
    } else {
      edit.reasonCode = 'not-declared';
      edit.reason = notDeclaredReason(item, paths, input.treePaths);
    }
    results.push(edit);
  }

  const changed = new Map<string, string>();
  for (const [path, content] of current) if (content !== input.contents.get(path)) changed.set(path, content);
  return { changed, items: results };
}

function candidatePathsMatch(item: FixItem, path: string): boolean {
  return !ignored(path) && updatersFor(item).some((updater) => updater.fileMatch(path));
}

function gradleUpdaterDeclares(content: string, path: string, property: string): boolean {
  const updater = updaterFor(path);
  try {
    return Boolean(updater?.extract(content, path).some((dep) => dep.name === property));
  } catch {
    return false;
  }
}

function notDeclaredReason(item: FixItem, searched: string[], treePaths: Set<string>): string {
  const locks = [...treePaths].filter((path) => LOCKFILES.includes(path.split('/').pop() ?? '') && !ignored(path)).slice(0, 5);
  const where = searched.length > 0 ? `none of ${searched.slice(0, 10).join(', ')}${searched.length > 10 ? ', …' : ''} declares it directly` : 'the repository has no manifest for this ecosystem';
  const lock = locks.length > 0 ? ` It is most likely a transitive dependency pinned in ${locks.join(', ')}: raise the package that depends on it, or add an override/resolution, and regenerate the lockfile.` : ' It is most likely a transitive dependency: raise the package that depends on it.';
  return `${item.packageName} cannot be raised to ${item.fixedVersion} by editing a manifest: ${where}.${lock}`;
}
