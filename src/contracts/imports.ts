/**
 * `POST /api/v1/findings/import`: the summary of an imported scanner report. Shared by the route
 * and the web UI (the import service, src/services/imports, keeps its own camelCase summary and the
 * route maps it).
 */
import { z } from 'zod';
import { importFormats, skipReasons } from '../domain/imports.ts';

export const importSummaryView = z.object({
  scan_id: z.uuid().nullable().describe('The recorded scan; null for a dry run'),
  format: z.enum(importFormats),
  target: z.string(),
  partial: z.boolean(),
  dry_run: z.boolean(),
  received: z.number().int().describe('Findings in the report (after skipped elements, before aliases were merged)'),
  new: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  resolved: z.number().int().describe("The target's findings this complete scan no longer reports (0 for a partial scan)"),
  reopened: z.number().int().describe('Resolved findings reported again'),
  skipped: z.array(z.object({ reason: z.enum(skipReasons), count: z.number().int() })),
});
export type ImportSummaryView = z.infer<typeof importSummaryView>;
