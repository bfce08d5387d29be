/** Chooses the Gradle reader by file name: version catalog, gradle.properties, or a build script. */
import type { ExtractedDependency } from '../types.ts';
import { extractCatalog } from './catalog.ts';
import { extractGradleProperties } from './properties.ts';
import { extractGradleScript } from './script.ts';

export function extractGradle(content: string, path: string): ExtractedDependency[] {
  if (/\.toml$/.test(path)) return extractCatalog(content);
  if (/(^|\/)gradle\.properties$/.test(path)) return extractGradleProperties(content);
  return extractGradleScript(content);
}
