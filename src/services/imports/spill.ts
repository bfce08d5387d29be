/**
 * The bounded-memory spill between parsing and writing: normalised findings are appended to a
 * temporary NDJSON file while the report is parsed and validated, and read back in chunks once the
 * whole report proved well-formed, so a malformed report writes nothing and a large one never sits
 * in memory. The file is deleted when the import ends, whatever happened.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export class Spill<T> {
  readonly #dir: string;
  readonly #path: string;
  #out: WriteStream | null;
  count = 0;

  private constructor(dir: string) {
    this.#dir = dir;
    this.#path = join(dir, 'findings.ndjson');
    this.#out = createWriteStream(this.#path, { encoding: 'utf8' });
  }

  static async create<T>(): Promise<Spill<T>> {
    return new Spill<T>(await mkdtemp(join(tmpdir(), 'integration-import-')));
  }

  async append(value: T): Promise<void> {
    const out = this.#out;
    if (!out) throw new Error('spill already closed for writing');
    this.count++;
    if (!out.write(`${JSON.stringify(value)}\n`)) await once(out, 'drain');
  }

  async finish(): Promise<void> {
    const out = this.#out;
    if (!out) return;
    this.#out = null;
    out.end();
    await once(out, 'close');
  }

  /** The spilled values in order, `size` at a time. */
  async *chunks(size: number): AsyncGenerator<T[]> {
    await this.finish();
    const lines = createInterface({ input: createReadStream(this.#path, { encoding: 'utf8' }), crlfDelay: Infinity });
    let chunk: T[] = [];
    for await (const line of lines) {
      if (line === '') continue;
      chunk.push(JSON.parse(line) as T);
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  }

  async dispose(): Promise<void> {
    if (this.#out) {
      this.#out.destroy();
      this.#out = null;
    }
    await rm(this.#dir, { recursive: true, force: true });
  }
}
