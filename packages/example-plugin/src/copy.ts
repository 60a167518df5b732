import { mkdir, open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** One file to copy. */
export interface CopyItem {
  readonly from: string;
  readonly to: string;
  readonly size: number;
}

/** Files to copy: the input file into the output directory, or the input directory's tree below it. */
export async function planCopy(input: string, outputDir: string): Promise<CopyItem[]> {
  const info = await stat(input);
  if (info.isFile()) return [{ from: input, to: join(outputDir, basename(input)), size: info.size }];
  const items: CopyItem[] = [];
  const walk = async (dir: string, target: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const from = join(dir, entry.name);
      if (entry.isDirectory()) await walk(from, join(target, entry.name));
      else if (entry.isFile())
        items.push({ from, to: join(target, entry.name), size: (await stat(from)).size });
    }
  };
  await walk(input, outputDir);
  return items;
}

const CHUNK = 1024 * 1024;

/**
 * Copies one file in chunks, checking `signal` between chunks so a cancel stops a large copy within one
 * chunk rather than at the end of the file. `onBytes` is told about every chunk written.
 */
export async function copyFileChunked(
  item: CopyItem,
  signal: AbortSignal,
  onBytes: (n: number) => void,
): Promise<void> {
  await mkdir(dirname(item.to), { recursive: true });
  const source = await open(item.from, 'r');
  try {
    const target = await open(item.to, 'w');
    try {
      const buffer = new Uint8Array(CHUNK);
      for (;;) {
        signal.throwIfAborted();
        const { bytesRead } = await source.read(buffer, 0, CHUNK, null);
        if (bytesRead === 0) return;
        await target.write(buffer.subarray(0, bytesRead));
        onBytes(bytesRead);
      }
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
