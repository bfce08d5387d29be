/**
 * Reads a pip requirements file line by line, keeping offsets: PEP 508 names (compared after PEP 503
 * normalisation), extras, specifier sets, markers, inline comments, `\` continuations and per-line
 * options. The span of a dependency is its whole specifier set (`==1.2.3`, `>=1.0, <2`), because the
 * policy may need to read every clause. VCS/URL/path lines are reported with a skip reason, `-r`/`-c`
 * includes are listed by `extractIncludes` (this updater only ever edits one file's text).
 */
import type { ExtractedDependency } from '../types.ts';

/** PEP 503: lowercase, runs of `-`, `_`, `.` become one `-`. */
export const normalizePipName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

interface LogicalLine {
  /** First physical line (where the requirement itself is) and its offset. */
  text: string;
  offset: number;
  /** The continuation-joined text, used to look for options such as `--hash`. */
  joined: string;
}

/** pip strips `#` comments that start the line or follow whitespace (`#egg=` in URLs is kept). */
const stripComment = (line: string): string => line.replace(/(^|\s)#.*$/, '');

function logicalLines(content: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  const physical = content.split('\n');
  let offset = 0;
  let current: LogicalLine | null = null;
  for (const raw of physical) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const lineOffset = offset;
    offset += raw.length + 1;
    if (current && /^\s*#/.test(line)) {
      lines.push(current); // a comment line ends a continuation (pip's join_lines)
      current = null;
      continue;
    }
    const continues = line.endsWith('\\');
    const body = continues ? line.slice(0, -1) : line;
    if (current) current.joined += ` ${body}`;
    else current = { text: body, offset: lineOffset, joined: body };
    if (!continues) {
      lines.push(current);
      current = null;
    }
  }
  if (current) lines.push(current);
  return lines;
}

export function extractIncludes(content: string): Array<{ option: '-r' | '-c'; path: string }> {
  const includes: Array<{ option: '-r' | '-c'; path: string }> = [];
  for (const line of logicalLines(content)) {
    const m = /^\s*(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(['"]?)(\S+?)\2\s*$/.exec(stripComment(line.joined));
    if (m) includes.push({ option: m[1]!.startsWith('-r') || m[1] === '--requirement' ? '-r' : '-c', path: m[3]! });
  }
  return includes;
}

const NAME = /^(\s*)([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(\s*\[[^\]]*\])?/;
const CLAUSE = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*[^\s,;]+\s*$/;

export function extractPip(content: string): ExtractedDependency[] {
  const deps: ExtractedDependency[] = [];
  for (const line of logicalLines(content)) {
    // Everything from the first ` -option` on is options, as pip's break_args_options does.
    const requirement = stripComment(line.text).split(/\s+(?=--?[A-Za-z])/)[0]!;
    if (/^\s*(-|$)/.test(requirement) || /^\s*[{%]/.test(requirement)) continue;
    const source = /^\s*(-e\s+)?((git|hg|svn|bzr)\+|https?:|file:|\.{0,2}\/)/.exec(requirement);
    if (source) {
      const egg = /#egg=([A-Za-z0-9._-]+)/.exec(requirement);
      if (egg) deps.push(sourceDep(egg[1]!, source[3] ? 'git-source' : source[0].includes('http') ? 'url-source' : 'path-source'));
      continue;
    }
    const name = NAME.exec(requirement);
    if (!name) continue;
    const rawName = name[2]!;
    const base = { name: normalizePipName(rawName), rawName, kind: 'requirement' };
    const rest = requirement.slice(name[0].length);
    const url = /^\s*@\s*(\S+)/.exec(rest);
    if (url) {
      deps.push(sourceDep(rawName, /^(git|hg|svn|bzr)\+/.test(url[1]!) ? 'git-source' : 'url-source'));
      continue;
    }
    const spec = rest.split(';')[0]!;
    const trimmed = spec.trim();
    const hashed = /(^|\s)--hash[=\s]/.test(stripComment(line.joined));
    if (trimmed === '') {
      deps.push({ ...base, currentValue: '', span: null, skipReason: 'no-version', skipMessage: `${rawName} has no version specifier to raise` });
      continue;
    }
    const start = line.offset + name[0].length + spec.indexOf(trimmed);
    const dep: ExtractedDependency = { ...base, currentValue: trimmed, span: { start, end: start + trimmed.length } };
    if (hashed) dep.hashPinned = true;
    if (!trimmed.split(',').every((clause) => CLAUSE.test(clause))) {
      dep.skipReason = 'unsupported-requirement';
      dep.skipMessage = `'${trimmed}' is not a PEP 440 specifier set this updater can rewrite`;
    }
    deps.push(dep);
  }
  return deps;
}

function sourceDep(rawName: string, code: 'git-source' | 'url-source' | 'path-source'): ExtractedDependency {
  const what = { 'git-source': 'a VCS URL', 'url-source': 'a direct URL', 'path-source': 'a local path' }[code];
  return { name: normalizePipName(rawName), rawName, kind: 'requirement', currentValue: '', span: null, skipReason: code, skipMessage: `${rawName} is installed from ${what}, not an index version` };
}
