/**
 * The PR half of an organization's policy after a scan import (docs/policies-and-sla.md): new
 * findings of a complete scan whose severity the policy lists, with a known fixed version, get fix
 * PRs through `open_pr` jobs on the policy's GitHub connection — one PR per repository and scan
 * (`repo_scan`) or one per package (`package`). A finding already linked to one of our PRs (open or
 * merged) is never queued again, and a re-import reports no new findings, so a report imported twice
 * opens its PRs once.
 *
 * The repository: the finding's own `repo_url` when the scanner named one, else the scan target when
 * it is a repository URL, or `owner/repo` on the connection's GitHub.
 */
import { and, eq, inArray, isNotNull, notInArray, sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { findings, pullRequestFindings, pullRequests } from '../../db/schema.ts';
import type { Severity } from '../../domain/severity.ts';
import { codeHostFor } from '../../providers/registry.ts';
import { canonicalEcosystem } from './ecosystems.ts';
import { isManifestOf } from './plan-edits.ts';
import { openPrPayload } from './pr-jobs.ts';
import type { FixItem } from './types.ts';
import { TicketService } from '../tickets/ticket-service.ts';

const TICKETS_HEAD_START_SECONDS = 3;

export interface PolicyPrInput {
  orgId: string;
  scanId: string;
  target: string;
  /** New findings of the scan. */
  created: string[];
  severities: Severity[];
  connectionId: string;
  grouping: 'repo_scan' | 'package';
  /** The policy also files tickets for new findings: the PR jobs start a little later, so they find the tickets. */
  ticketsToo?: boolean;
}

/** Lockfiles scanners name, and the manifest next to them that declares the version. */
const LOCKFILE_MANIFEST: Readonly<Record<string, string>> = {
  'package-lock.json': 'package.json',
  'npm-shrinkwrap.json': 'package.json',
  'yarn.lock': 'package.json',
  'pnpm-lock.yaml': 'package.json',
  'go.sum': 'go.mod',
  'Gemfile.lock': 'Gemfile',
};

/** The manifest to edit for a scanner's path: itself, the manifest beside its lockfile, or null (look through the tree). */
export function manifestForPath(ecosystem: string, path: string | null): string | null {
  if (!path) return null;
  const clean = path.replace(/^\.?\/+/, '');
  const slash = clean.lastIndexOf('/');
  const dir = slash >= 0 ? clean.slice(0, slash + 1) : '';
  const name = clean.slice(slash + 1);
  const beside = LOCKFILE_MANIFEST[name];
  if (beside) return `${dir}${beside}`;
  return isManifestOf(ecosystem, clean) ? clean : null;
}

/** The web origin of a GitHub API root: https://api.github.com → https://github.com; https://ghe/api/v3 → https://ghe. */
export function webOriginOf(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname.toLowerCase() === 'api.github.com') return 'https://github.com';
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '').replace(/\/api\/v3$/, '')}`;
}

/** The repository a finding is fixed in, or null when neither the finding nor the target names one. */
export function repoUrlFor(findingRepoUrl: string | null, target: string, webOrigin: string): string | null {
  const candidates = [findingRepoUrl, /^https?:\/\//i.test(target) ? target : /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(target) ? `${webOrigin}/${target}` : null];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      return codeHostFor(candidate).repo.webUrl;
    } catch {
      // not a repository URL: try the next
    }
  }
  return null;
}

export async function queuePolicyPullRequests(context: AppContext, input: PolicyPrInput): Promise<{ queued: number; skipped: number }> {
  if (input.created.length === 0 || input.severities.length === 0) return { queued: 0, skipped: 0 };
  const orm = context.db.orm;
  const connection = await new TicketService(context, {}).connections.get(input.orgId, input.connectionId);
  if (!connection || connection.provider !== 'github' || !connection.api_url) {
    context.logger.warn({ org_id: input.orgId, connection_id: input.connectionId }, 'the policy’s GitHub connection is gone; no fix PRs queued');
    return { queued: 0, skipped: input.created.length };
  }
  const webOrigin = webOriginOf(connection.api_url);
  // Already on one of our PRs (open or merged): never a second one.
  const linked = orm
    .select({ id: pullRequestFindings.findingId })
    .from(pullRequestFindings)
    .innerJoin(pullRequests, eq(pullRequests.id, pullRequestFindings.pullRequestId))
    .where(and(eq(pullRequests.orgId, input.orgId), inArray(pullRequests.state, ['open', 'merged'])));
  const rows = await orm
    .select({
      id: findings.id,
      ecosystem: findings.ecosystem,
      packageName: findings.packageName,
      installedVersion: findings.installedVersion,
      fixedVersion: findings.fixedVersion,
      advisoryIds: findings.advisoryIds,
      severity: findings.severity,
      repoUrl: findings.repoUrl,
      manifestPath: findings.manifestPath,
    })
    .from(findings)
    .where(
      and(
        eq(findings.orgId, input.orgId),
        inArray(findings.id, input.created),
        inArray(findings.severity, input.severities),
        notInArray(findings.state, ['done', 'wont_fix']),
        isNotNull(findings.packageName),
        isNotNull(findings.ecosystem),
        isNotNull(findings.fixedVersion),
        sql`${findings.id} not in ${linked}`,
      ),
    )
    .orderBy(findings.packageName, findings.id);

  // repository → branch key → items (one item per package and fixed version)
  const groups = new Map<string, { repoUrl: string; group: boolean; items: FixItem[] }>();
  let skipped = input.created.length - rows.length;
  for (const row of rows) {
    const repoUrl = repoUrlFor(row.repoUrl, input.target, webOrigin);
    if (!repoUrl) {
      skipped++;
      continue;
    }
    const ecosystem = row.ecosystem!;
    const packageName = row.packageName!;
    const fixedVersion = row.fixedVersion!;
    const itemKey = `${canonicalEcosystem(ecosystem)}|${packageName}|${fixedVersion}`;
    const groupKey = input.grouping === 'repo_scan' ? repoUrl : `${repoUrl}|${itemKey}`;
    let group = groups.get(groupKey);
    if (!group) {
      group = { repoUrl, group: input.grouping === 'repo_scan', items: [] };
      groups.set(groupKey, group);
    }
    const manifest = manifestForPath(ecosystem, row.manifestPath);
    const advisories = row.advisoryIds.map((id) => ({ id, severity: row.severity }));
    const existing = group.items.find((item) => `${canonicalEcosystem(item.ecosystem)}|${item.packageName}|${item.fixedVersion}` === itemKey);
    if (existing) {
      existing.findingIds = [...(existing.findingIds ?? []), row.id];
      existing.advisories.push(...advisories.filter((advisory) => !existing.advisories.some((known) => known.id === advisory.id)));
      // Another declaration site: both manifests are edited; one without a path means "look everywhere".
      existing.manifestPaths = existing.manifestPaths && manifest ? [...new Set([...existing.manifestPaths, manifest])] : null;
    } else {
      group.items.push({ packageName, ecosystem, fixedVersion, currentVersion: row.installedVersion, advisories, manifestPaths: manifest ? [manifest] : null, findingIds: [row.id], ticketIds: [] });
    }
  }

  let queued = 0;
  for (const group of groups.values()) {
    const payload = openPrPayload(
      { repoUrl: group.repoUrl, items: group.items, group: group.group, transport: 'api', connectionId: input.connectionId },
      { orgId: input.orgId, commentOnTicket: true, source: 'policy', requestedBy: null },
    );
    if (await context.queue.enqueue('open_pr', payload, input.ticketsToo ? { startAfterSeconds: TICKETS_HEAD_START_SECONDS } : {})) queued++;
  }
  return { queued, skipped };
}
