/**
 * A small position-reporting XML reader for pom.xml: elements with their children and the span of
 * their first non-blank text run (so `<version> 4.5.3 <!--x--></version>` yields `4.5.3`). Comments,
 * processing instructions, CDATA and the DOCTYPE are skipped; entities are not decoded (a version
 * spelled with entities is reported as-is and will not parse as a version).
 */
import type { Span } from '../types.ts';

export interface XmlElement {
  name: string;
  parent: XmlElement | null;
  children: XmlElement[];
  text: (Span & { value: string }) | null;
}

const OPEN = /<([A-Za-z_][\w.:-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
const CLOSE = /<\/([A-Za-z_][\w.:-]*)\s*>/y;
const SKIP: Array<[string, string]> = [
  ['<!--', '-->'],
  ['<?', '?>'],
  ['<![CDATA[', ']]>'],
  ['<!', '>'],
];

export function parseXml(source: string): XmlElement {
  const root: XmlElement = { name: '#document', parent: null, children: [], text: null };
  let current = root;
  let pos = 0;
  while (pos < source.length) {
    const lt = source.indexOf('<', pos);
    const textEnd = lt === -1 ? source.length : lt;
    if (textEnd > pos && !current.text && current !== root) {
      const raw = source.slice(pos, textEnd);
      const value = raw.trim();
      if (value) {
        const start = pos + raw.indexOf(value);
        current.text = { start, end: start + value.length, value };
      }
    }
    if (lt === -1) break;
    pos = lt;
    const skip = SKIP.find(([open]) => source.startsWith(open, pos));
    if (skip) {
      const end = source.indexOf(skip[1], pos + skip[0].length);
      if (end === -1) throw new Error(`unterminated ${skip[0]} at offset ${pos}`);
      pos = end + skip[1].length;
      continue;
    }
    CLOSE.lastIndex = pos;
    const close = CLOSE.exec(source);
    if (close) {
      if (close[1] !== current.name) throw new Error(`</${close[1]}> closes <${current.name}> at offset ${pos}`);
      current = current.parent ?? root;
      pos = CLOSE.lastIndex;
      continue;
    }
    OPEN.lastIndex = pos;
    const open = OPEN.exec(source);
    if (!open) throw new Error(`malformed tag at offset ${pos}`);
    const element: XmlElement = { name: open[1]!, parent: current, children: [], text: null };
    current.children.push(element);
    if (open[3] !== '/') current = element;
    pos = OPEN.lastIndex;
  }
  if (current !== root) throw new Error(`<${current.name}> is never closed`);
  return root;
}

export const child = (element: XmlElement, name: string): XmlElement | undefined => element.children.find((c) => c.name === name);

export function* walk(element: XmlElement): Generator<XmlElement> {
  for (const c of element.children) {
    yield c;
    yield* walk(c);
  }
}
