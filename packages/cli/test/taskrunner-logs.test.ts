import { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@tasklane/core';
import { emulatorClientConfig, startEmulator, type Emulator } from '@tasklane/emulator';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hourlyName, RunnerLogFiles } from '../src/taskrunner/log-files.ts';
import { RunnerLogShipper } from '../src/taskrunner/log-ship.ts';
import { LogUploader } from '../src/taskrunner/uploads.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-01T00:10:00Z');

let emu: Emulator;
let s3: S3Client;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tl-taskrunner-logs-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  emu = await startEmulator({ s3Buckets: ['logs'] });
  s3 = new S3Client(emulatorClientConfig(emu));
});
afterAll(async () => {
  s3?.destroy();
  await emu?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Collects warn calls; the uploader logs nothing else. */
function warnings(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = { warn: (_: unknown, msg: string) => void lines.push(msg) } as unknown as Logger;
  return { logger, lines };
}

describe('the runner log files', () => {
  it('writes one file per UTC hour, the Java naming, and gzips the ones older than 8 hours', async () => {
    let now = T0;
    const tee: string[] = [];
    const files = new RunnerLogFiles({
      dir: join(tempDir(), 'logs'),
      tee: (l) => tee.push(l),
      now: () => now,
    });
    files.write('{"msg":"first"}\n');
    now += HOUR;
    files.write('{"msg":"second"}\n');
    expect(files.files()).toEqual(['TaskRunner.log.2026-12-01-00', 'TaskRunner.log.2026-12-01-01']);
    expect(tee).toEqual(['{"msg":"first"}\n', '{"msg":"second"}\n']);
    now = T0 + 9 * HOUR;
    files.write('{"msg":"later"}\n');
    expect(await files.compressOld()).toEqual([]);
    expect(files.files()).toEqual([
      'TaskRunner.log.2026-12-01-00.gz',
      'TaskRunner.log.2026-12-01-01',
      'TaskRunner.log.2026-12-01-09',
    ]);
    expect(gunzipSync(readFileSync(join(files.dir, 'TaskRunner.log.2026-12-01-00.gz'))).toString()).toBe(
      '{"msg":"first"}\n',
    );
    expect(hourlyName(T0)).toBe('TaskRunner.log.2026-12-01-00');
  });

  it("copies a task's lines to its attempt's Activity.log", () => {
    const base = tempDir();
    const files = new RunnerLogFiles({ dir: join(base, 'logs'), tee: () => {} });
    const attempt = join(base, 'logs', 'df-1', 'A', '@A_1', '@A_1_Attempt=1');
    files.beginAttempt('task-1', attempt);
    files.write('{"taskId":"task-1","msg":"mine"}\n');
    files.write('{"taskId":"task-2","msg":"other"}\n');
    files.write('{"msg":"runner"}\n');
    files.endAttempt('task-1');
    files.write('{"taskId":"task-1","msg":"after"}\n');
    expect(readFileSync(join(attempt, 'Activity.log'), 'utf8')).toBe('{"taskId":"task-1","msg":"mine"}\n');
  });

  it('ships changed hourly files to --logUri/<folder>/ and skips unchanged closed ones', async () => {
    const files = new RunnerLogFiles({ dir: join(tempDir(), 'logs'), tee: () => {}, now: () => T0 });
    files.write('{"msg":"hello"}\n');
    const uploader = new LogUploader({ client: () => Promise.resolve(s3), logger: () => undefined });
    const shipper = new RunnerLogShipper({
      files,
      uploader,
      location: { bucket: 'logs', prefix: 'ship' },
      folder: 'tr-1',
    });
    await shipper.ship(T0 + HOUR);
    await shipper.ship(T0 + HOUR);
    expect(emu.s3!.listKeys('logs', 'ship/')).toEqual(['ship/tr-1/TaskRunner.log.2026-12-01-00']);
    expect(uploader.counts).toEqual({ uploaded: 1, failed: 0 });
  });
});

describe('log uploads', () => {
  it('retry, then count the failure and warn, never throwing', async () => {
    const { logger, lines } = warnings();
    const kinds: string[] = [];
    const dir = tempDir();
    const files = new RunnerLogFiles({ dir, tee: () => {} });
    files.write('{"msg":"x"}\n');
    const uploader = new LogUploader({
      client: () => Promise.resolve(s3),
      logger: () => logger,
      onFailure: (kind) => kinds.push(kind),
      baseDelayMs: 10,
    });
    const before = emu.control.observations().requests['S3.PutObject'] ?? 0;
    const ok = await uploader.upload(
      join(dir, files.files()[0]!),
      { bucket: 'no-such-bucket', prefix: '' },
      'k',
      'attempt',
    );
    expect(ok).toBe(false);
    expect(emu.control.observations().requests['S3.PutObject']! - before).toBe(4);
    expect(uploader.counts).toEqual({ uploaded: 0, failed: 1 });
    expect(kinds).toEqual(['attempt']);
    expect(lines).toEqual(['log upload failed after retries']);
    expect(existsSync(join(dir, files.files()[0]!))).toBe(true);
    expect(readdirSync(dir)).toHaveLength(1);
  });
});
