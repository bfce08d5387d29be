/** Bytes used by the files under a directory (symlinks counted as links, never followed). */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function dirSize(dir: string): Promise<number> {
  let total = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await dirSize(path);
    else {
      try {
        total += (await lstat(path)).size;
      } catch {
        // Removed while we counted (git renames temp packs): not there any more.
      }
    }
  }
  return total;
}
