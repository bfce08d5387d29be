/**
 * Finds `gem` declarations in a Gemfile with the span of their version requirement. The Gemfile is
 * Ruby, so this reads the common literal shapes only: `gem 'x', '~> 1.2', '< 2', require: false`,
 * over one or several lines, inside `group`/`source`/`platforms` blocks. Gems from `git:`, `github:`,
 * `path:` (or inside `git`/`path` blocks) are reported with a skip reason.
 */
import type { ExtractedDependency } from '../types.ts';
import { maskRubyComments } from './ruby-mask.ts';

const GEM = /^[ \t]*gem[ \t]*\(?[ \t]*(['"])([^'"\n]+)\1/gm;
const STRING_ARG = /^\s*,\s*(['"])([^'"\n]*)\1(?!\s*(:|=>))/;
const REQUIREMENT = /^\s*(=|!=|>=|<=|~>|>|<)?\s*([0-9][0-9A-Za-z.-]*)\s*$/;
const FLOOR_OPS = ['', '=', '>=', '>', '~>'];

/** Lines inside `git ... do` / `path ... do` blocks: their gems come from that source. */
function sourceBlockLines(masked: string): Set<number> {
  const inside = new Set<number>();
  const stack: string[] = [];
  masked.split('\n').forEach((line, index) => {
    const text = line.trim();
    if (stack.includes('source')) inside.add(index);
    if (/^end\b/.test(text)) stack.pop();
    else if (/^(git|path|github|gitlab|bitbucket)\b.*\bdo\b(\s*\|[^|]*\|)?$/.test(text)) stack.push('source');
    else if (/\bdo\b(\s*\|[^|]*\|)?$/.test(text)) stack.push('block');
    else if (/^(if|unless|case|while|until|begin|def|class|module)\b/.test(text)) stack.push('other');
  });
  return inside;
}

/** The rest of a call: continues while a line ends with `,`, `(` or `\`. */
function statementEnd(masked: string, from: number): number {
  let end = masked.indexOf('\n', from);
  while (end !== -1 && /[,(\\]\s*$/.test(masked.slice(masked.lastIndexOf('\n', end - 1) + 1, end))) {
    end = masked.indexOf('\n', end + 1);
  }
  return end === -1 ? masked.length : end;
}

export function extractGemfile(content: string): ExtractedDependency[] {
  const masked = maskRubyComments(content);
  const blocked = sourceBlockLines(masked);
  const gitSources = [...masked.matchAll(/git_source\s*\(?\s*:(\w+)/g)].map((m) => m[1]!);
  const sourceKeys = new Set(['git', 'github', 'gitlab', 'bitbucket', 'path', ...gitSources]);
  const deps: ExtractedDependency[] = [];

  for (const match of masked.matchAll(GEM)) {
    const name = match[2]!;
    const line = masked.slice(0, match.index).split('\n').length - 1;
    let cursor = match.index + match[0].length;
    const end = statementEnd(masked, cursor);
    const requirements: Array<{ text: string; start: number }> = [];
    for (let arg = STRING_ARG.exec(masked.slice(cursor, end)); arg; arg = STRING_ARG.exec(masked.slice(cursor, end))) {
      const start = cursor + arg[0].length - 1 - arg[2]!.length;
      requirements.push({ text: arg[2]!, start });
      cursor += arg[0].length;
    }
    const options = masked.slice(cursor, end);
    const keys = [...options.matchAll(/(?:(\w+):(?!:)|:(\w+)\s*=>)/g)].map((m) => m[1] ?? m[2]!);
    const source = keys.find((k) => sourceKeys.has(k)) ?? (blocked.has(line) ? 'block' : undefined);
    const base = { name, rawName: name, kind: 'gem' };

    const floor = requirements.find((r) => FLOOR_OPS.includes(REQUIREMENT.exec(r.text)?.[1] ?? '')) ?? requirements[0];
    const dep: ExtractedDependency = floor
      ? { ...base, currentValue: floor.text, span: { start: floor.start, end: floor.start + floor.text.length } }
      : { ...base, currentValue: '', span: null };
    const others = requirements.filter((r) => r !== floor).map((r) => r.text);
    if (others.length > 0) dep.constraints = others;

    if (source) {
      const code = source === 'path' ? 'path-source' : 'git-source';
      const from = source === 'block' ? 'a git/path block' : `${source}:`;
      Object.assign(dep, { skipReason: code, skipMessage: `gem ${name} comes from ${from}, not a gem server version` });
    } else if (!floor) {
      const dynamic = /^\s*,\s*[A-Za-z_*]/.test(options) && !/^\s*,\s*\w+:/.test(options);
      Object.assign(dep, dynamic
        ? { skipReason: 'dynamic-version', skipMessage: `gem ${name} takes its requirement from Ruby code` }
        : { skipReason: 'no-version', skipMessage: `gem ${name} has no requirement; its version comes from Gemfile.lock` });
    } else if (!requirements.every((r) => REQUIREMENT.test(r.text))) {
      Object.assign(dep, { skipReason: 'unsupported-requirement', skipMessage: `gem ${name} has a requirement this updater cannot read` });
    }
    deps.push(dep);
  }
  return deps;
}
