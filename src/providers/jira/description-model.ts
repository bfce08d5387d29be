/**
 * One description, independent of format: what goes in at a given size budget. The builders try budgets
 * from generous to tight and keep the first rendering under Jira's limit, so cutting is structural
 * (fewer advisory rows, shorter text) and the result is always a well-formed document.
 */
import { clip, cleanText } from './adf.ts';
import { type Advisory, advisoriesOf, type DetailRow, detailRows, type FindingForJira, headingOf, moreUrl, oneLine, remediationSteps } from './finding.ts';

export interface Budget {
  /** Characters of the free-text description kept. */
  descriptionChars: number;
  /** Characters of any single value (cells, steps, ids, heading). */
  valueChars: number;
  /** Remediation steps kept. */
  steps: number;
}

/** Generous first; the last one is small enough that even the worst input fits. */
export const BUDGETS: Budget[] = [
  { descriptionChars: 20_000, valueChars: 2_000, steps: 50 },
  { descriptionChars: 6_000, valueChars: 1_000, steps: 20 },
  { descriptionChars: 1_500, valueChars: 300, steps: 10 },
  { descriptionChars: 300, valueChars: 120, steps: 3 },
];

/** Below this many rows, shortening the description is preferred to dropping more advisories. */
export const MIN_ADVISORY_ROWS = 25;

export interface DescriptionModel {
  heading: string;
  description: string;
  descriptionCut: boolean;
  details: DetailRow[];
  advisories: Advisory[];
  omittedAdvisories: number;
  steps: string[];
  omittedSteps: number;
  fingerprint: string | null;
  moreUrl: string | null;
}

export function allAdvisories(finding: FindingForJira): Advisory[] {
  return advisoriesOf(finding);
}

export function modelOf(finding: FindingForJira, advisories: Advisory[], budget: Budget, keepAdvisories: number): DescriptionModel {
  const text = cleanText(typeof finding.description === 'string' ? finding.description : '').trim();
  const description = clip(text, budget.descriptionChars);
  const steps = remediationSteps(finding);
  const kept = advisories.slice(0, keepAdvisories).map((a) => ({ ...a, id: oneLine(a.id, budget.valueChars) }));
  return {
    heading: headingOf(finding, budget.valueChars),
    description,
    descriptionCut: description !== text,
    details: detailRows(finding, budget.valueChars),
    advisories: kept,
    omittedAdvisories: advisories.length - kept.length,
    steps: steps.slice(0, budget.steps).map((s) => oneLine(s, budget.valueChars)),
    omittedSteps: Math.max(0, steps.length - budget.steps),
    fingerprint: typeof finding.fingerprint === 'string' && finding.fingerprint.trim() !== '' ? oneLine(finding.fingerprint, 200) : null,
    moreUrl: moreUrl(finding, advisories),
  };
}

/**
 * The largest rendering that fits: per budget, all advisories if they fit, else the most that do
 * (binary search: size grows with rows); move to a tighter budget only when fewer than
 * MIN_ADVISORY_ROWS would remain.
 */
export function fitDescription<T>(finding: FindingForJira, render: (model: DescriptionModel) => T, size: (rendered: T) => number, limit: number): { result: T; model: DescriptionModel } {
  const advisories = allAdvisories(finding);
  const fits = (budget: Budget, keep: number) => {
    const model = modelOf(finding, advisories, budget, keep);
    const result = render(model);
    return size(result) <= limit ? { result, model } : null;
  };
  let fallback: { result: T; model: DescriptionModel } | null = null;
  for (const [i, budget] of BUDGETS.entries()) {
    const all = fits(budget, advisories.length);
    if (all) return all;
    let best = fits(budget, 0);
    if (!best) continue;
    let lo = 0;
    let hi = advisories.length;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const attempt = fits(budget, mid);
      if (attempt) {
        lo = mid;
        best = attempt;
      } else hi = mid;
    }
    if (lo >= Math.min(advisories.length, MIN_ADVISORY_ROWS) || i === BUDGETS.length - 1) return best;
    fallback ??= best;
  }
  if (fallback) return fallback;
  // Unreachable with the budgets above (each value is capped); kept so the contract holds regardless.
  const tight = modelOf(finding, advisories, { descriptionChars: 0, valueChars: 40, steps: 0 }, 0);
  return { result: render(tight), model: tight };
}
