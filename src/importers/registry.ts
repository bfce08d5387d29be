/**
 * Every scanner format the service imports: one folder each under src/importers/<format>/, one line
 * here. The shared contract test (test/importers/contract.test.ts) runs against each. Detection asks
 * every importer how sure it is about the report's first bytes and takes the surest (at least 0.5).
 */
import { dependabotImporter } from './dependabot/index.ts';
import { grypeImporter } from './grype/index.ts';
import { npmAuditImporter } from './npm-audit/index.ts';
import { osvImporter } from './osv/index.ts';
import { sarifImporter } from './sarif/index.ts';
import { trivyImporter } from './trivy/index.ts';
import { headText } from './json-stream.ts';
import type { ImportFormat, Importer } from './types.ts';

export const importers: readonly Importer[] = [trivyImporter, grypeImporter, osvImporter, npmAuditImporter, sarifImporter, dependabotImporter];

/** How many bytes of a report detection looks at. */
export const DETECT_BYTES = 64 * 1024;

export function importerFor(format: ImportFormat): Importer {
  const found = importers.find((i) => i.format === format);
  if (!found) throw new Error(`no importer for ${format}`);
  return found;
}

export interface Detection {
  importer: Importer;
  confidence: number;
}

/** The format of a report from its first bytes, or null when no importer is at least half sure. */
export function detectFormat(head: Uint8Array | string): Detection | null {
  const textHead = headText(head);
  let best: Detection | null = null;
  for (const importer of importers) {
    const confidence = importer.detect(textHead);
    if (confidence >= 0.5 && (best === null || confidence > best.confidence)) best = { importer, confidence };
  }
  return best;
}
