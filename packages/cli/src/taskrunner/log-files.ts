import { appendFileSync, createReadStream, createWriteStream, mkdirSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/** The Java runner's name for its own log; hourly files get `.YYYY-MM-DD-HH` (UTC) appended. */
export const RUNNER_LOG = 'TaskRunner.log';

/** Hourly files older than this many hours are gzip-compressed (`.gz`), as the Java runner does. */
export const COMPRESS_AFTER_HOURS = 8;

const HOUR_MS = 3_600_000;

/** `TaskRunner.log.2026-12-01-09` for the UTC hour holding `at`. */
export function hourlyName(at: number): string {
  return `${RUNNER_LOG}.${new Date(at).toISOString().slice(0, 13).replace('T', '-')}`;
}

/** The UTC hour start of an hourly file's name; undefined for any other file. */
function hourOf(name: string): number | undefined {
  const m = /^TaskRunner\.log\.(\d{4}-\d{2}-\d{2})-(\d{2})(\.gz)?$/.exec(name);
  return m ? Date.parse(`${m[1]}T${m[2]}:00:00Z`) : undefined;
}

/**
 * The runner's own log as the Java runner keeps it: one file per UTC hour under `<output>/logs`, the
 * older ones compressed. Every line also goes to `tee` (stdout), and a line about a task with an
 * attempt directory registered is appended to that attempt's `Activity.log` as well.
 */
export class RunnerLogFiles {
  readonly dir: string;
  readonly #tee: (line: string) => void;
  readonly #now: () => number;
  readonly #attempts = new Map<string, string>();
  #hour = -1;
  #compressing: Promise<string[]> | undefined;

  constructor(options: { dir: string; tee: (line: string) => void; now?: () => number }) {
    this.dir = options.dir;
    this.#tee = options.tee;
    this.#now = options.now ?? Date.now;
    mkdirSync(this.dir, { recursive: true });
  }

  /** The pino destination: one JSON line per call. Synchronous, so no line is lost at exit. */
  write(line: string): void {
    this.#tee(line);
    const now = this.#now();
    const hour = Math.floor(now / HOUR_MS);
    if (hour !== this.#hour) {
      this.#hour = hour;
      // Streamed in the background: a large hourly file must not stall the event loop (leases, polls).
      void this.compressOld(now);
    }
    try {
      appendFileSync(join(this.dir, hourlyName(now)), line);
      if (this.#attempts.size > 0) this.#toAttempt(line);
    } catch {
      // A full or read-only disk must not stop the runner; stdout still has the line.
    }
  }

  #toAttempt(line: string): void {
    const m = /"taskId":"((?:[^"\\]|\\.)*)"/.exec(line);
    if (!m) return;
    const dir = this.#attempts.get(JSON.parse(`"${m[1]}"`) as string);
    if (dir) appendFileSync(join(dir, 'Activity.log'), line);
  }

  /** Lines about `taskId` also go to `<dir>/Activity.log` until {@link endAttempt}. */
  beginAttempt(taskId: string, dir: string): void {
    mkdirSync(dir, { recursive: true });
    this.#attempts.set(taskId.slice(0, 64), dir);
  }

  endAttempt(taskId: string): void {
    this.#attempts.delete(taskId.slice(0, 64));
  }

  /** Compresses the hourly files older than {@link COMPRESS_AFTER_HOURS}; resolves with their new names. */
  compressOld(now = this.#now()): Promise<string[]> {
    // One pass at a time: two would gzip the same file at once.
    const previous = this.#compressing ?? Promise.resolve([]);
    const pass = previous.then(() => this.#compress(now));
    this.#compressing = pass;
    return pass;
  }

  async #compress(now: number): Promise<string[]> {
    const done: string[] = [];
    for (const name of this.files()) {
      const hour = hourOf(name);
      if (hour === undefined || name.endsWith('.gz') || now - hour < (COMPRESS_AFTER_HOURS + 1) * HOUR_MS)
        continue;
      const path = join(this.dir, name);
      try {
        await pipeline(createReadStream(path), createGzip(), createWriteStream(`${path}.gz`));
        await rm(path);
        done.push(`${name}.gz`);
      } catch {
        // Left uncompressed; the next hour tries again.
        await rm(`${path}.gz`, { force: true }).catch(() => {});
      }
    }
    return done;
  }

  /** The hourly files present, oldest first. */
  files(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((name) => hourOf(name) !== undefined)
        .sort();
    } catch {
      return [];
    }
  }
}
