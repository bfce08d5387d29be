/**
 * `POST /api/v1/findings/import`: a scanner report as the scanner wrote it (docs/importing.md). The
 * body is not parsed by Fastify: this plugin's content-type parsers hand the request stream to the
 * import service, which reads it element by element (spilling to a temporary file) and answers the
 * summary. Bodies up to IMPORT_MAX_BYTES (default 1 GiB), not the global BODY_LIMIT_BYTES.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { importSummaryView } from '../../contracts/imports.ts';
import { safeLine } from '../../contracts/index.ts';
import { AppError } from '../../errors/app-error.ts';
import { importFormats, type ReportSource } from '../../importers/index.ts';
import { importReport } from '../../services/imports/import-service.ts';
import { tenantOf } from '../plugins/auth.ts';
import { authErrors, errorResponse } from '../schemas.ts';

const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((value) => value === 'true' || value === '1');

/** The request body as a stream that fails with 413 past `limit` bytes. */
async function* limited(body: AsyncIterable<Uint8Array>, limit: number): ReportSource {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > limit) throw new AppError('PAYLOAD_TOO_LARGE', `the report is larger than IMPORT_MAX_BYTES (${limit} bytes)`);
    yield chunk;
  }
}

export function importRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    // Only inside this plugin: the body stays a stream.
    app.removeContentTypeParser(['application/json', 'application/octet-stream']);
    app.addContentTypeParser(['application/json', 'application/octet-stream'], (_request, payload, done) => done(null, payload));

    app.post(
      '/findings/import',
      {
        schema: {
          tags: ['findings'],
          summary: 'Import a scanner report (Trivy, Grype, OSV-Scanner, npm audit, SARIF, Dependabot alerts) as a scan of a target',
          description:
            'The body is the report as the scanner wrote it (application/json or application/octet-stream), read as a stream. The format is detected when not given. ' +
            'A complete scan resolves the target’s findings it no longer reports; a resolved finding reported again is reopened; partial=true resolves nothing; dry_run=true answers the same summary and writes nothing. ' +
            'A malformed report answers 400 IMPORT_MALFORMED naming the JSON path and line, and nothing is written.',
          security: [{ bearerAuth: [] }],
          consumes: ['application/json', 'application/octet-stream'],
          // Documents the body; it is not validated here: it arrives as a stream (see the parsers above).
          body: z.unknown().describe('The report exactly as the scanner wrote it (JSON), read as a stream'),
          querystring: z.object({
            format: z.enum(importFormats).optional().describe('Detected from the report when absent'),
            target: safeLine(500).describe('What was scanned (a repository, an image): findings absent from a newer complete scan of it are resolved'),
            dry_run: flag.describe('true: compute the summary, write nothing'),
            partial: flag.describe('true: the report covers part of the target; nothing is resolved'),
          }),
          response: { 200: importSummaryView, 400: errorResponse, 413: errorResponse, 415: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const { orgId } = tenantOf(request);
        const body = request.body as AsyncIterable<Uint8Array> | undefined | null;
        if (body == null || typeof (body as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator] !== 'function') {
          // No body at all (and so no content type for our parsers): there is no report to read.
          throw new AppError('VALIDATION_FAILED', 'body: the report is required (Content-Type application/json or application/octet-stream)', { field: 'body' });
        }
        const limit = context.config.importMaxBytes;
        const declared = Number(request.headers['content-length']);
        if (Number.isFinite(declared) && declared > limit) {
          throw new AppError('PAYLOAD_TOO_LARGE', `the report is larger than IMPORT_MAX_BYTES (${limit} bytes)`);
        }
        const summary = await importReport(context.db.orm, {
          orgId,
          actor: request.principal?.subject ?? 'unknown',
          target: request.query.target,
          format: request.query.format ?? null,
          partial: request.query.partial,
          dryRun: request.query.dry_run,
          source: limited(body, limit),
          onListenerError: (error) => request.log.error({ err: error }, 'finding lifecycle listener failed'),
        });
        return {
          scan_id: summary.scanId,
          format: summary.format,
          target: summary.target,
          partial: summary.partial,
          dry_run: summary.dryRun,
          received: summary.received,
          new: summary.new,
          updated: summary.updated,
          unchanged: summary.unchanged,
          resolved: summary.resolved,
          reopened: summary.reopened,
          skipped: summary.skipped,
        };
      },
    );
  };
}
