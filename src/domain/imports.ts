/**
 * The scanner report formats the service imports, and why an element of a report can be skipped:
 * named by the importers (src/importers), the import service and the API (src/contracts/imports.ts).
 */

export const importFormats = ['trivy', 'grype', 'osv', 'npm-audit', 'sarif', 'dependabot'] as const;

export type ImportFormat = (typeof importFormats)[number];

/** Stable, machine-readable reasons an element of a report was not imported. */
export const skipReasons = [
  'missing-package',
  'missing-version',
  'missing-advisory-id',
  'not-affected',
  'dismissed-alert',
  'fixed-alert',
] as const;

export type SkipReason = (typeof skipReasons)[number];
