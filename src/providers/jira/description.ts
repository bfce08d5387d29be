/**
 * Issue descriptions and summaries for findings: ADF for Jira Cloud, wiki markup for Server/DC, both
 * within Jira's 32,767-character limit (ADF measured as serialized JSON, as the stricter reading), cut
 * structurally with a visible "… truncated" marker that says how much was left out and where to look.
 */
import { type AdfDoc, type AdfNode, adfSize, bulletList, cleanText, clip, code, doc, heading, link, paragraph, paragraphs, strong, table, text } from './adf.ts';
import { RICH_TEXT_LIMIT } from './comment.ts';
import { type DescriptionModel, fitDescription } from './description-model.ts';
import type { FindingForJira } from './finding.ts';
import type { JiraFlavor } from './types.ts';
import { escapeInline, escapeWiki, wikiBullets, wikiHeading, wikiLink, wikiMonospace, wikiTable } from './wiki.ts';

export type { FindingForJira } from './finding.ts';

export interface BuiltDescription<T> {
  body: T;
  truncated: boolean;
  omittedAdvisories: number;
}

function marker(model: DescriptionModel): string | null {
  const parts: string[] = [];
  if (model.omittedAdvisories > 0) parts.push(`${model.omittedAdvisories} more ${model.omittedAdvisories === 1 ? 'advisory' : 'advisories'}`);
  if (model.omittedSteps > 0) parts.push(`${model.omittedSteps} more remediation steps`);
  if (model.descriptionCut) parts.push('description shortened');
  return parts.length > 0 ? `… truncated: ${parts.join('; ')}` : null;
}

function renderAdf(model: DescriptionModel): AdfDoc {
  const blocks: (AdfNode | null)[] = [heading(2, model.heading), ...paragraphs(model.description)];
  if (model.details.length > 0) {
    blocks.push(heading(3, 'Details'));
    blocks.push(
      table(
        ['Field', 'Value'],
        model.details.map((row) => [strong(row.label), row.url ? link(row.value, row.url) : row.code ? code(row.value) : text(row.value)]),
      ),
    );
  }
  if (model.advisories.length > 0) {
    blocks.push(heading(3, 'Advisories'));
    blocks.push(table(['Advisory', 'Source'], model.advisories.map((a) => [a.url ? link(a.id, a.url) : text(a.id), text(a.source)])));
  }
  const cut = marker(model);
  if (cut) blocks.push(paragraph(text(`${cut}${model.moreUrl ? '; see ' : ''}`, [{ type: 'em' }]), model.moreUrl ? link(model.moreUrl, model.moreUrl) : []));
  if (model.steps.length > 0) {
    blocks.push(heading(3, 'Remediation'));
    blocks.push(bulletList(model.steps.map((step) => text(step))));
  }
  if (model.fingerprint) blocks.push(paragraph(text('Fingerprint: '), code(model.fingerprint)));
  return doc(blocks);
}

function renderWiki(model: DescriptionModel): string {
  const parts: string[] = [wikiHeading(2, model.heading)];
  if (model.description !== '') parts.push(escapeWiki(model.description));
  if (model.details.length > 0) {
    parts.push(wikiHeading(3, 'Details'));
    parts.push(
      wikiTable(
        ['Field', 'Value'],
        model.details.map((row) => [`*${escapeInline(row.label)}*`, row.url ? wikiLink(row.value, row.url) : row.code ? wikiMonospace(row.value) : escapeInline(row.value)]),
      ),
    );
  }
  if (model.advisories.length > 0) {
    parts.push(wikiHeading(3, 'Advisories'));
    parts.push(wikiTable(['Advisory', 'Source'], model.advisories.map((a) => [a.url ? wikiLink(a.id, a.url) : escapeInline(a.id), escapeInline(a.source)])));
  }
  const cut = marker(model);
  if (cut) parts.push(`_${escapeInline(cut)}_${model.moreUrl ? `; see ${wikiLink(model.moreUrl, model.moreUrl)}` : ''}`);
  if (model.steps.length > 0) {
    parts.push(wikiHeading(3, 'Remediation'));
    parts.push(wikiBullets(model.steps.map((s) => escapeInline(s))));
  }
  if (model.fingerprint) parts.push(`Fingerprint: ${wikiMonospace(model.fingerprint)}`);
  return parts.filter((p) => p !== '').join('\n\n');
}

const truncatedOf = (model: DescriptionModel) => model.omittedAdvisories > 0 || model.omittedSteps > 0 || model.descriptionCut;

export function descriptionAdf(finding: FindingForJira, limit = RICH_TEXT_LIMIT): BuiltDescription<AdfDoc> {
  const { result, model } = fitDescription(finding, renderAdf, adfSize, limit);
  return { body: result, truncated: truncatedOf(model), omittedAdvisories: model.omittedAdvisories };
}

export function descriptionWiki(finding: FindingForJira, limit = RICH_TEXT_LIMIT): BuiltDescription<string> {
  const { result, model } = fitDescription(finding, renderWiki, (s) => s.length, limit);
  return { body: result, truncated: truncatedOf(model), omittedAdvisories: model.omittedAdvisories };
}

/** The `description` field value for the flavour: ADF on Cloud, a wiki string on Server. */
export function descriptionFor(flavor: JiraFlavor, finding: FindingForJira): AdfDoc | string {
  return flavor === 'cloud' ? descriptionAdf(finding).body : descriptionWiki(finding).body;
}

export const SUMMARY_LIMIT = 255;

/**
 * One line, at most 255 characters (Jira refuses longer or multi-line summaries):
 * `[HIGH] lodash 4.17.15: Prototype pollution (CVE-2021-23337)` or `[HIGH] FedRAMP AC-2: title`.
 */
export function buildSummary(finding: FindingForJira): string {
  const one = (value: string | null | undefined) => cleanText(value ?? '').replace(/\s+/g, ' ').trim();
  const severity = one(finding.severity).toUpperCase();
  const subject =
    finding.kind === 'vulnerability'
      ? [one(finding.packageName), one(finding.installedVersion)].filter((s) => s !== '').join(' ')
      : [one(finding.framework), one(finding.controlId)].filter((s) => s !== '').join(' ');
  const firstAdvisory = one((finding.advisoryIds ?? []).find((a) => typeof a === 'string' && a.trim() !== ''));
  const title = one(finding.title);
  const suffix = firstAdvisory && !title.includes(firstAdvisory) ? ` (${firstAdvisory})` : '';
  const head = `${severity ? `[${severity}] ` : ''}${subject ? `${subject}: ` : ''}`;
  let summary = `${head}${title || (finding.kind === 'vulnerability' ? 'Vulnerable dependency' : 'Compliance violation')}${suffix}`;
  if (summary.length > SUMMARY_LIMIT) {
    // Keep the advisory id when possible: it is what people search for.
    const room = SUMMARY_LIMIT - suffix.length;
    summary = room > head.length + 20 ? `${clip(`${head}${title}`, room)}${suffix}` : clip(summary, SUMMARY_LIMIT);
  }
  return summary;
}

