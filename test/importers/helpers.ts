import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Importer, ParsedItem } from '../../src/importers/index.ts';

export const fixturePath = (name: string): string => join(import.meta.dirname, 'fixtures', name);
export const readFixture = (name: string): Buffer => readFileSync(fixturePath(name));

/** The report as `size`-byte chunks (a multi-byte character may be split between two). */
export async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

export async function parseAll(importer: Importer, bytes: Uint8Array, size = 64 * 1024): Promise<ParsedItem[]> {
  const items: ParsedItem[] = [];
  for await (const item of importer.parse(chunked(bytes, size))) items.push(item);
  return items;
}

/** The same JSON on one line (a minified report). */
export const minified = (bytes: Uint8Array): Buffer => Buffer.from(JSON.stringify(JSON.parse(Buffer.from(bytes).toString('utf8'))));
