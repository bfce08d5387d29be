/**
 * gradle.properties (java.util.Properties syntax): `key=value`, `key: value` or `key value`, `#`/`!`
 * comments. Every property whose value looks like a version is a dependency named by its key, so a
 * caller told "version is ${x}: defined in gradle.properties" can update `x` here.
 */
import type { ExtractedDependency } from '../types.ts';
import { isDynamicVersion } from './versioning.ts';

export function extractGradleProperties(content: string): ExtractedDependency[] {
  const deps: ExtractedDependency[] = [];
  let offset = 0;
  let continued = false;
  for (const raw of content.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const lineOffset = offset;
    offset += raw.length + 1;
    const wasContinued = continued;
    continued = /(^|[^\\])(\\\\)*\\$/.test(line);
    if (wasContinued || /^\s*([#!]|$)/.test(line)) continue;
    const m = /^(\s*)((?:[^\s=:\\]|\\.)+)(\s*[=:]\s*|\s+)(.*?)\s*$/.exec(line);
    if (!m || continued) continue;
    const value = m[4]!;
    if (!/^[0-9][0-9A-Za-z.+_-]*$/.test(value) && !/^[[(\]][^\s]*[\])[]$/.test(value)) continue;
    const start = lineOffset + m[1]!.length + m[2]!.length + m[3]!.length;
    const dep: ExtractedDependency = { name: m[2]!, rawName: m[2]!, kind: 'gradle.properties', currentValue: value, span: { start, end: start + value.length }, property: m[2]! };
    if (isDynamicVersion(value)) Object.assign(dep, { skipReason: 'dynamic-version', skipMessage: `${m[2]} is a dynamic version (${value})` });
    deps.push(dep);
  }
  return deps;
}
