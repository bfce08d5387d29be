/**
 * `/api/v1/findings`: batch upsert (SPEC section 3 body, up to 5,000 per call, all or nothing),
 * filtered cursor listing and lookup. Scanner spellings of severity are accepted here and stored
 * canonically; the response schemas below are what leaves the service.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { internalStates } from '../../domain/states.ts';
import { parseSeverity, type Severity, severityLevels } from '../../domain/severity.ts';
import { AppError } from '../../errors/app-error.ts';
import { type Finding, type FindingInput, getFinding, isSlaBreached, listFindings, upsertFindings } from '../../services/findings.ts';
import { queueTicketUpdates } from '../../services/tickets/ticket-updates.ts';
import { tenantOf } from '../plugins/auth.ts';
import { identifier, safeLine, safeText } from '../../contracts/index.ts';
import { findingView } from '../../contracts/views.ts';
import { authErrors, errorResponse, uuidParam } from '../schemas.ts';

export const MAX_FINDINGS_PER_CALL = 5_000;
/** 5,000 findings with long descriptions do not fit the global 1 MB default. */
const FINDINGS_BODY_LIMIT = 25 * 1024 * 1024;

/** One line of free text (titles, framework names); refused with control characters. */
const text = (max: number) => safeLine(max);
/** An identifier-like value (package, ecosystem, versions, ids): nothing invisible either. */
const ident = (max: number) => identifier(max);
const optionalText = (max: number) => safeLine(max, { min: 0 }).nullish();

export const severityInput = z
  .string()
  .transform((value, ctx) => {
    const severity = parseSeverity(value);
    if (severity) return severity;
    ctx.addIssue({ code: 'custom', message: `must be one of ${severityLevels.join(', ')} (scanner spellings such as "moderate" are accepted)` });
    return z.NEVER;
  })
  .describe('critical, high, medium, low or info; case-insensitive, with common scanner spellings (moderate, informational, negligible)');

const advisoryList = z.array(ident(100)).max(200);

/** Fields every finding may carry. */
export const findingCommon = {
  title: text(1000),
  description: safeText(100_000).nullish(),
  severity: severityInput.optional().describe('Required unless cvss_score is given'),
  cvss_score: z.number().min(0).max(10).nullish().describe('CVSS base score; decides the severity when severity is missing'),
  fingerprint: ident(200).nullish().describe('Your own de-duplication key; derived from the identity fields when absent'),
  source: optionalText(200),
  external_ref: optionalText(1000),
};

function requireSeverity(value: { severity?: Severity | undefined; cvss_score?: number | null | undefined }, ctx: z.RefinementCtx): void {
  if (value.severity === undefined && (value.cvss_score === undefined || value.cvss_score === null)) {
    ctx.addIssue({ code: 'custom', path: ['severity'], message: 'is required when cvss_score is not given' });
  }
}

const vulnerabilityInput = z
  .object({
    kind: z.literal('vulnerability'),
    ...findingCommon,
    ecosystem: ident(50).describe('npm, pip (pypi), gomod (go), maven, gradle, bundler (rubygems), or another ecosystem name'),
    package_name: ident(500),
    current_version: ident(200).optional(),
    installed_version: ident(200).optional().describe('Alias of current_version'),
    fixed_version: identifier(200, { min: 0 }).nullish(),
    cve_ids: advisoryList.optional(),
    advisory_ids: advisoryList.optional(),
    ghsa_ids: advisoryList.optional(),
    repo_url: identifier(2048, { min: 0 }).nullish(),
    manifest_path: identifier(1024, { min: 0 }).nullish(),
  })
  .superRefine((value, ctx) => {
    requireSeverity(value, ctx);
    if (!value.current_version && !value.installed_version) {
      ctx.addIssue({ code: 'custom', path: ['current_version'], message: 'is required (or installed_version)' });
    }
  });

const violationInput = z
  .object({ kind: z.literal('violation'), ...findingCommon, framework: text(200), control_id: ident(200), case_id: z.uuid().nullish() })
  .superRefine(requireSeverity);

const findingInput = z.discriminatedUnion('kind', [vulnerabilityInput, violationInput]);

type FindingBody = z.infer<typeof findingInput>;

/** The API's snake_case item → the service's input. */
export function toFindingInput(body: FindingBody): FindingInput {
  const common = {
    title: body.title,
    description: body.description ?? null,
    severity: body.severity ?? null,
    cvssScore: body.cvss_score ?? null,
    fingerprint: body.fingerprint ?? null,
    source: body.source ?? null,
    externalRef: body.external_ref ?? null,
  };
  if (body.kind === 'violation') {
    return { ...common, kind: 'violation', framework: body.framework, controlId: body.control_id, caseId: body.case_id ?? null };
  }
  return {
    ...common,
    kind: 'vulnerability',
    ecosystem: body.ecosystem,
    packageName: body.package_name,
    installedVersion: body.current_version ?? body.installed_version ?? '',
    fixedVersion: body.fixed_version ?? null,
    advisoryIds: [...(body.cve_ids ?? []), ...(body.ghsa_ids ?? []), ...(body.advisory_ids ?? [])],
    repoUrl: body.repo_url ?? null,
    manifestPath: body.manifest_path ?? null,
  };
}


export { findingView };

export const upsertedFindingView = findingView
  .extend({
    created: z.boolean().describe('true when this call inserted the finding, false when it updated an existing one'),
    reopened: z.boolean().describe('true when the finding was done and was reopened because it was reported again'),
  })
  .meta({ id: 'UpsertedFinding' });

export function toFindingView(finding: Finding): z.infer<typeof findingView> {
  return {
    id: finding.id,
    kind: finding.kind as 'vulnerability' | 'violation',
    fingerprint: finding.fingerprint,
    title: finding.title,
    description: finding.description,
    severity: finding.severity as Severity,
    state: finding.state as (typeof internalStates)[number],
    state_reason: finding.stateReason,
    cvss_score: finding.cvssScore,
    ecosystem: finding.ecosystem,
    package_name: finding.packageName,
    current_version: finding.installedVersion,
    fixed_version: finding.fixedVersion,
    advisory_ids: finding.advisoryIds,
    repo_url: finding.repoUrl,
    manifest_path: finding.manifestPath,
    framework: finding.framework,
    control_id: finding.controlId,
    case_id: finding.caseId,
    source: finding.source,
    external_ref: finding.externalRef,
    first_seen_at: finding.firstSeenAt.toISOString(),
    last_seen_at: finding.lastSeenAt.toISOString(),
    resolved_at: finding.resolvedAt?.toISOString() ?? null,
    due_at: finding.dueAt?.toISOString() ?? null,
    sla_breached: isSlaBreached(finding),
    sla_breached_at: finding.breachedAt?.toISOString() ?? null,
    created_at: finding.createdAt.toISOString(),
    updated_at: finding.updatedAt.toISOString(),
  };
}

/** Comma-separated list of values, each checked by `parse`. */
function commaList<T extends string>(parse: (value: string) => T | null, allowed: string) {
  return z
    .string()
    .transform((value, ctx) => {
      const out: T[] = [];
      for (const part of value.split(',')) {
        if (part.trim() === '') continue;
        const parsed = parse(part);
        if (!parsed) {
          ctx.addIssue({ code: 'custom', message: `"${part.trim()}" is not one of ${allowed}` });
          return z.NEVER;
        }
        out.push(parsed);
      }
      return out;
    })
    .optional();
}

const parseState = (value: string) => internalStates.find((state) => state === value.trim().toLowerCase()) ?? null;

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: identifier(500).optional().describe('next_cursor of the previous page'),
};

export function findingRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/findings',
      {
        bodyLimit: FINDINGS_BODY_LIMIT,
        schema: {
          tags: ['findings'],
          summary: 'Create or update findings in one all-or-nothing batch (up to 5,000)',
          description:
            'Upsert by fingerprint: a finding posted again updates the existing one (created: false); a done finding reported again is reopened. Results are in input order.',
          security: [{ bearerAuth: [] }],
          body: z.object({ findings: z.array(findingInput).min(1).max(MAX_FINDINGS_PER_CALL) }),
          response: { 200: z.object({ findings: z.array(upsertedFindingView) }), 400: errorResponse, 413: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const { orgId } = tenantOf(request);
        const upserted = await upsertFindings(context.db.orm, orgId, request.body.findings.map(toFindingInput), {
          actor: request.principal?.subject ?? 'unknown',
        });
        // The findings are written: a queue outage must not turn that into a 500 (the client would
        // post again for nothing). The tickets then keep their old values until the next change.
        await queueTicketUpdates(context, orgId, upserted, 'the finding was posted again with new values').catch((error: unknown) => {
          request.log.error({ err: error }, 'ticket updates for changed findings were not queued');
        });
        return { findings: upserted.map((finding) => ({ ...toFindingView(finding), created: finding.created, reopened: finding.reopened })) };
      },
    );

    app.get(
      '/findings',
      {
        schema: {
          tags: ['findings'],
          summary: "List the organization's findings, newest first",
          security: [{ bearerAuth: [] }],
          querystring: z.object({
            kind: z.enum(['vulnerability', 'violation']).optional(),
            severity: commaList(parseSeverity, severityLevels.join(', ')).describe('Comma-separated severities'),
            state: commaList(parseState, internalStates.join(', ')).describe('Comma-separated internal states'),
            case_id: z.uuid().optional(),
            package_name: ident(500).optional(),
            repo_url: ident(2048).optional(),
            q: safeLine(200).optional().describe('Case-insensitive substring of the title'),
            ...pageQuery,
          }),
          response: { 200: z.object({ findings: z.array(findingView), next_cursor: z.string().nullable() }), 400: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const { orgId } = tenantOf(request);
        const query = request.query;
        const page = await listFindings(context.db.orm, orgId, {
          ...(query.kind ? { kind: query.kind } : {}),
          ...(query.severity ? { severities: query.severity } : {}),
          ...(query.state ? { states: query.state } : {}),
          ...(query.case_id ? { caseId: query.case_id } : {}),
          ...(query.package_name ? { packageName: query.package_name } : {}),
          ...(query.repo_url ? { repoUrl: query.repo_url } : {}),
          ...(query.q ? { q: query.q } : {}),
          ...(query.cursor ? { cursor: query.cursor } : {}),
          limit: query.limit,
        });
        return { findings: page.findings.map(toFindingView), next_cursor: page.nextCursor };
      },
    );

    app.get(
      '/findings/:id',
      {
        schema: {
          tags: ['findings'],
          summary: 'One finding',
          security: [{ bearerAuth: [] }],
          params: uuidParam,
          response: { 200: findingView, 404: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const finding = await getFinding(context.db.orm, tenantOf(request).orgId, request.params.id);
        if (!finding) throw new AppError('NOT_FOUND', 'no such finding', { field: 'id' });
        return toFindingView(finding);
      },
    );
  };
}
