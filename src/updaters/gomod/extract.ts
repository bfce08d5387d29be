/**
 * Reads go.mod with offsets: `require` (single line or block, `// indirect`), `replace` targets
 * (`old => new vX`), quoted or bare tokens. A requirement whose module is replaced is reported with
 * a skip reason, since its version no longer decides the code that is built.
 */
import type { ExtractedDependency, Span } from '../types.ts';

interface Token {
  text: string;
  /** Span of the token's value (inside quotes for strings). */
  span: Span;
}

const TOKEN = /"(?:[^"\\]|\\.)*"|`[^`]*`|=>|\/\/.*|[^\s"`]+/g;

function tokenize(line: string, offset: number): { tokens: Token[]; comment: string } {
  const tokens: Token[] = [];
  let comment = '';
  for (const m of line.matchAll(TOKEN)) {
    const raw = m[0];
    if (raw.startsWith('//')) {
      comment = raw;
      break;
    }
    const quoted = raw.startsWith('"') || raw.startsWith('`');
    const text = quoted ? raw.slice(1, -1) : raw;
    const start = offset + m.index + (quoted ? 1 : 0);
    tokens.push({ text, span: { start, end: start + text.length } });
  }
  return { tokens, comment };
}

const isLocalPath = (path: string): boolean => /^(\.{1,2}\/|\/|\.{1,2}$|[A-Za-z]:\\)/.test(path);

export function extractGoMod(content: string): ExtractedDependency[] {
  const deps: ExtractedDependency[] = [];
  const replaces: Array<{ from: string; fromVersion?: string; to: string; toVersion?: string }> = [];
  let block: string | null = null;
  let offset = 0;
  for (const line of content.split('\n')) {
    const lineOffset = offset;
    offset += line.length + 1;
    const { tokens, comment } = tokenize(line, lineOffset);
    if (tokens.length === 0) continue;
    const first = tokens[0]!.text;
    if (block !== null) {
      if (first === ')') block = null;
      else directive(block, tokens, comment);
      continue;
    }
    if (tokens[1]?.text === '(' && tokens.length === 2) {
      block = first;
      continue;
    }
    directive(first, tokens.slice(1), comment);
  }

  function directive(verb: string, args: Token[], comment: string): void {
    if (verb === 'require' && args.length >= 2) {
      const [path, version] = [args[0]!, args[1]!];
      const indirect = /^\/\/\s*indirect\b/.test(comment);
      deps.push({ name: path.text, rawName: path.text, nameSpan: path.span, kind: indirect ? 'require-indirect' : 'require', currentValue: version.text, span: version.span });
    } else if (verb === 'replace') {
      const arrow = args.findIndex((t) => t.text === '=>');
      const target = args[arrow + 1];
      if (arrow < 1 || !target) return;
      const targetVersion = args[arrow + 2];
      replaces.push({ from: args[0]!.text, fromVersion: arrow === 2 ? args[1]!.text : undefined, to: target.text, toVersion: targetVersion?.text });
      if (targetVersion && !isLocalPath(target.text)) {
        deps.push({ name: target.text, rawName: target.text, nameSpan: target.span, kind: 'replace', currentValue: targetVersion.text, span: targetVersion.span });
      }
    }
  }

  // A replace applies to every version of the module, or only to the version it names.
  for (const dep of deps) {
    if (dep.kind === 'replace') continue;
    const replace = replaces.find((r) => r.from === dep.name && (r.fromVersion === undefined || r.fromVersion === dep.currentValue));
    if (!replace) continue;
    if (isLocalPath(replace.to)) {
      dep.skipReason = 'replaced-module';
      dep.skipMessage = `${dep.name} is replaced by the local directory ${replace.to}; its required version is not built`;
    } else if (replace.to !== dep.name) {
      dep.skipReason = 'replaced-module';
      dep.skipMessage = `${dep.name} is replaced by ${replace.to} ${replace.toVersion ?? ''}; update the replacement instead`.trimEnd();
    } else {
      dep.skipReason = 'replaced-module';
      dep.skipMessage = `${dep.name} is pinned by a replace directive; that line decides the version`;
    }
  }
  return deps;
}
