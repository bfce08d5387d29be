/**
 * Finds the coordinates of a pom.xml with the span of each version: parent, dependencies,
 * dependencyManagement, plugins, pluginManagement, plugin dependencies, extensions and
 * annotationProcessorPaths, also inside profiles. A version written as `${prop}` points at the
 * property's value in this pom's <properties> (project-level first, then profiles); one defined
 * elsewhere (parent, settings) is reported with a skip reason naming the property.
 */
import type { ExtractedDependency, Span } from '../types.ts';
import { child, parseXml, type XmlElement, walk } from './xml-scan.ts';

const COORDINATE_PARENTS: Record<string, string> = {
  dependency: 'dependencies',
  plugin: 'plugins',
  extension: 'extensions',
  path: 'annotationProcessorPaths',
  parent: 'project',
};

type Property = Span & { value: string };

function collectProperties(project: XmlElement): Map<string, Property> {
  const found = new Map<string, Property>();
  const add = (properties: XmlElement | undefined): void => {
    for (const p of properties?.children ?? []) {
      if (p.text && !found.has(p.name)) found.set(p.name, p.text);
    }
  };
  add(child(project, 'properties'));
  for (const profile of child(project, 'profiles')?.children ?? []) add(child(profile, 'properties'));
  return found;
}

/** `dependencyManagement/dependencies/dependency`, `build/plugins/plugin`, … (outside <project>). */
function kindOf(element: XmlElement): string {
  const names: string[] = [];
  for (let e: XmlElement | null = element; e && e.name !== 'project'; e = e.parent) names.unshift(e.name);
  return names.join('/');
}

export function extractPom(content: string): ExtractedDependency[] {
  const project = parseXml(content).children.find((c) => c.name === 'project');
  if (!project) throw new Error('no <project> element');
  const properties = collectProperties(project);
  const deps: ExtractedDependency[] = [];
  for (const element of walk(project)) {
    if (COORDINATE_PARENTS[element.name] !== element.parent?.name) continue;
    const group = child(element, 'groupId')?.text?.value ?? (element.name === 'plugin' ? 'org.apache.maven.plugins' : undefined);
    const artifact = child(element, 'artifactId')?.text?.value;
    if (!group || !artifact) continue;
    const name = `${group}:${artifact}`;
    const base = { name, rawName: name, kind: kindOf(element) };
    const version = child(element, 'version')?.text;
    if (!version) {
      deps.push({ ...base, currentValue: '', span: null, skipReason: 'no-version', skipMessage: `${name} has no <version>; it is managed elsewhere` });
      continue;
    }
    deps.push(resolveVersion(base, version, properties));
  }
  return deps;
}

function resolveVersion(base: Pick<ExtractedDependency, 'name' | 'rawName' | 'kind'>, version: Property, properties: Map<string, Property>): ExtractedDependency {
  const plain = { ...base, currentValue: version.value, span: { start: version.start, end: version.end } };
  if (!version.value.includes('${')) return plain;
  const reference = /^\$\{([^}]+)\}$/.exec(version.value);
  if (!reference) {
    return { ...plain, span: null, skipReason: 'complex-property', skipMessage: `version '${version.value}' is built from several parts; edit it by hand` };
  }
  let property = reference[1]!;
  // Follow `${a}` → `<a>${b}</a>` chains to the property that holds the literal.
  for (let depth = 0; depth < 5; depth++) {
    if (/^(project|pom)\.(parent\.)?version$/.test(property)) {
      return { ...plain, span: null, property, skipReason: 'reference', skipMessage: `version is \${${property}}: the project's own version` };
    }
    const defined = properties.get(property);
    if (!defined) {
      return { ...plain, span: null, property, skipReason: 'version-defined-elsewhere', skipMessage: `version is \${${property}}: not defined in this pom (parent pom or settings)` };
    }
    const next = /^\$\{([^}]+)\}$/.exec(defined.value);
    if (!next) {
      const dep: ExtractedDependency = { ...base, currentValue: defined.value, span: { start: defined.start, end: defined.end }, property };
      if (defined.value.includes('${')) {
        Object.assign(dep, { span: null, skipReason: 'complex-property', skipMessage: `property ${property} is built from several parts` });
      }
      return dep;
    }
    property = next[1]!;
  }
  return { ...plain, span: null, skipReason: 'complex-property', skipMessage: 'property chain too deep' };
}
