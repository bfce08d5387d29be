/**
 * `node src/db/embedded-init.ts <dir>`: creates an embedded (PGlite) data folder and exits. Run by
 * openDatabase() as a child process so initdb's memory leaves with it (see database.ts).
 */
import { PGlite } from '@electric-sql/pglite';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: embedded-init.ts <data folder>\n');
  process.exit(2);
}
const pglite = await PGlite.create(dir);
await pglite.close();
