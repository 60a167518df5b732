import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Regular files below `dir`, with `/`-separated paths relative to it. A hand-written walk rather than
 * `readdir({ recursive })`, whose Dirent fields differ between Node 20, Bun and Deno.
 */
export async function filesUnder(dir: string): Promise<Array<{ path: string; relativePath: string }>> {
  const found: Array<{ path: string; relativePath: string }> = [];
  const walk = async (current: string, prefix: string) => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path, `${prefix}${entry.name}/`);
      else if (entry.isFile()) found.push({ path, relativePath: prefix + entry.name });
    }
  };
  await walk(dir, '');
  return found;
}
