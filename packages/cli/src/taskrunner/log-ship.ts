import { statSync } from 'node:fs';
import { join } from 'node:path';
import { hourlyName, type RunnerLogFiles } from './log-files.ts';
import { keyUnder, type S3Location } from './s3-location.ts';
import type { LogUploader } from './uploads.ts';

const HOUR_MS = 3_600_000;
/** A little after the hour, so the hour that just ended is complete. */
const AFTER_HOUR_MS = 30_000;

/**
 * Pushes the runner's hourly log files to `--logUri` every hour and on shutdown, under
 * `<logUri>/<folder>/` (folder: the taskrunnerId, else the hostname, so runners sharing a logUri never
 * overwrite each other). A file already uploaded unchanged is not sent again.
 */
export class RunnerLogShipper {
  readonly #files: RunnerLogFiles;
  readonly #uploader: LogUploader;
  readonly #location: S3Location;
  readonly #folder: string;
  readonly #sent = new Map<string, string>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: {
    files: RunnerLogFiles;
    uploader: LogUploader;
    location: S3Location;
    folder: string;
  }) {
    this.#files = options.files;
    this.#uploader = options.uploader;
    this.#location = options.location;
    this.#folder = options.folder;
  }

  /** Schedules the hourly push. */
  start(now = Date.now()): void {
    const next = (Math.floor(now / HOUR_MS) + 1) * HOUR_MS + AFTER_HOUR_MS - now;
    this.#timer = setTimeout(() => {
      void this.ship();
      this.start();
    }, next);
    // The hourly push never keeps a stopping process alive.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Compresses old files, then uploads every hourly file that changed since its last upload. */
  async ship(now = Date.now()): Promise<void> {
    await this.#files.compressOld(now);
    const current = hourlyName(now);
    const jobs: Promise<boolean>[] = [];
    for (const name of this.#files.files()) {
      const path = join(this.#files.dir, name);
      let version: string;
      try {
        const info = statSync(path);
        version = `${info.size}:${info.mtimeMs}`;
      } catch {
        continue;
      }
      if (this.#sent.get(name) === version && name !== current) continue;
      const key = keyUnder(this.#location, this.#folder, name);
      jobs.push(
        this.#uploader.upload(path, this.#location, key, 'runner').then((ok) => {
          if (ok) this.#sent.set(name, version);
          return ok;
        }),
      );
    }
    await Promise.all(jobs);
  }
}
