/**
 * Reads build.gradle / build.gradle.kts as text (they are programs; nothing here runs them): string
 * notation `'g:a:v'`, map notation `group: 'g', name: 'a', version: 'v'` (Groovy `:` or Kotlin `=`),
 * `plugins { id 'x' version 'y' }` / `kotlin("jvm") version "y"`, and versions held in `ext`/`extra`
 * properties, `def`/`val` locals and `ext.versions = [k: 'v']` / `mapOf("k" to "v")` maps of this file.
 * A `$x` defined nowhere in the file is reported with its property name so the caller can look in
 * gradle.properties or the root script.
 */
import type { ExtractedDependency, Span } from '../types.ts';
import { maskComments } from './code-mask.ts';
import { isDynamicVersion } from './versioning.ts';

type Property = Span & { value: string };

const SIMPLE_PROPERTY = /(?:^|[\s;{(])(?:(?:project\.|rootProject\.)?ext\.|def\s+|va[lr]\s+)?([A-Za-z_]\w*)(?:\s*:\s*String)?\s*=\s*(['"])([^'"$\n]*)\2/gm;
const EXTRA_PROPERTY = /extra\[\s*"(\w+)"\s*\]\s*=\s*(")([^"$\n]*)"|\bset\(\s*"(\w+)"\s*,\s*(")([^"$\n]*)"\s*\)/g;
const GROOVY_MAP = /(?:ext\.)?(\w+)\s*=\s*\[([^\]]*)\]/g;
const KOTLIN_MAP = /extra\[\s*"(\w+)"\s*\]\s*=\s*mapOf\(([^)]*)\)/g;

function collectProperties(masked: string): Map<string, Property> {
  const found = new Map<string, Property>();
  const add = (name: string, valueStart: number, value: string): void => {
    if (!found.has(name)) found.set(name, { start: valueStart, end: valueStart + value.length, value });
  };
  for (const m of masked.matchAll(SIMPLE_PROPERTY)) {
    add(m[1]!, m.index + m[0].length - 1 - m[3]!.length, m[3]!);
  }
  for (const m of masked.matchAll(EXTRA_PROPERTY)) {
    const name = m[1] ?? m[4]!;
    const value = m[3] ?? m[6]!;
    const quote = m.index + m[0].lastIndexOf(`"${value}"`);
    add(name, quote + 1, value);
  }
  for (const [pattern, entry] of [
    [GROOVY_MAP, /(\w+)\s*:\s*(['"])([^'"$\n]*)\2/g],
    [KOTLIN_MAP, /"(\w+)"\s+to\s+(")([^"$\n]*)"/g],
  ] as const) {
    for (const m of masked.matchAll(pattern)) {
      const bodyStart = m.index + m[0].indexOf(m[2]!, m[1]!.length);
      for (const e of m[2]!.matchAll(entry)) {
        add(`${m[1]}.${e[1]}`, bodyStart + e.index + e[0].length - 1 - e[3]!.length, e[3]!);
      }
    }
  }
  return found;
}

interface Declaration {
  name: string;
  kind: string;
  value: string;
  start: number;
}

// The version may be a Kotlin template with quotes inside (`${extra["v"]}`), hence the first alternative.
const STRING_NOTATION = /(['"])([\w.-]+):([\w.-]+):(\$\{[^}\n]*\}|[^'"\s:@]+)(?::[\w.-]+)?(?:@\w+)?\1/g;
const MAP_NOTATION = /\bgroup\s*[:=]\s*(['"])([^'"\n]+)\1\s*,\s*name\s*[:=]\s*(['"])([^'"\n]+)\3\s*,\s*version\s*[:=]\s*(['"])([^'"\n]*)\5/g;
const PLUGIN = /\b(id|kotlin)\s*\(?\s*(['"])([^'"\n]+)\2\s*\)?\s*version\s*\(?\s*(['"])([^'"\n]*)\4/g;

function declarations(masked: string): Declaration[] {
  const found: Declaration[] = [];
  for (const m of masked.matchAll(STRING_NOTATION)) {
    const start = m.index + 1 + m[2]!.length + 1 + m[3]!.length + 1;
    found.push({ name: `${m[2]}:${m[3]}`, kind: 'dependencies', value: m[4]!, start });
  }
  for (const m of masked.matchAll(MAP_NOTATION)) {
    found.push({ name: `${m[2]}:${m[4]}`, kind: 'dependencies', value: m[6]!, start: m.index + m[0].length - 1 - m[6]!.length });
  }
  for (const m of masked.matchAll(PLUGIN)) {
    const id = m[1] === 'kotlin' ? `org.jetbrains.kotlin.${m[3]}` : m[3]!;
    found.push({ name: id, kind: 'plugins', value: m[5]!, start: m.index + m[0].length - 1 - m[5]!.length });
  }
  return found.sort((a, b) => a.start - b.start);
}

/** `$x`, `${x}`, `$versions.x`, `${rootProject.ext.x}`, `${extra["x"]}`, `${property("x")}` → the property name. */
function referencedProperty(value: string): string | null {
  const m = /^\$(?:\{([^}]+)\}|([A-Za-z_][\w.]*))$/.exec(value);
  if (!m) return null;
  const expr = (m[1] ?? m[2]!).trim().replace(/^(?:(?:rootProject|project)\.)?(?:extra\["(\w+)"\]|property\("(\w+)"\))$/, '$1$2');
  return expr.replace(/^(rootProject\.|project\.)?(ext\.|extra\.)?/, '');
}

export function extractGradleScript(content: string): ExtractedDependency[] {
  const masked = maskComments(content);
  const properties = collectProperties(masked);
  return declarations(masked).map(({ name, kind, value, start }) => {
    const base = { name, rawName: name, kind, currentValue: value, span: { start, end: start + value.length } };
    if (!value.includes('$')) {
      if (isDynamicVersion(value)) return { ...base, skipReason: 'dynamic-version', skipMessage: `${name} uses the dynamic version ${value}` };
      return base;
    }
    const property = referencedProperty(value);
    if (!property || !/^[\w.]+$/.test(property)) {
      return { ...base, span: null, skipReason: 'complex-property', skipMessage: `version '${value}' is an expression; edit it by hand` };
    }
    const defined = properties.get(property);
    if (!defined) {
      return { ...base, span: null, property, skipReason: 'version-defined-elsewhere', skipMessage: `version is \${${property}}: not defined in this file (gradle.properties or the root build script)` };
    }
    return { ...base, currentValue: defined.value, span: { start: defined.start, end: defined.end }, property };
  });
}
