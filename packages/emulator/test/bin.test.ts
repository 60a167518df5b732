import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorClientConfig } from '../src/index.ts';
import { closeAll, emulator } from './helpers.ts';

afterEach(closeAll);

const bin = fileURLToPath(new URL('../bin/tasklane-emulator.mjs', import.meta.url));

describe('S3 addressing and the emulator binary', () => {
  it('prints the S3 endpoint and creates --buckets (built dist)', async () => {
    const child = spawn(process.execPath, [bin, '--port', '0', '--buckets', 'alpha,beta', '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const lines = await new Promise<string[]>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const got = out.split('\n').filter((l) => l !== '');
          if (got.length >= 2) resolve(got);
        });
        child.once('exit', (code) => reject(new Error(`emulator exited ${code}: ${out}`)));
      });
      expect(lines[0]).toMatch(/^emulator listening on http:\/\/127\.0\.0\.1:\d+$/);
      const endpoint = lines[1]!.replace(/^S3 endpoint /, '');
      expect(endpoint).toBe(lines[0]!.replace(/^emulator listening on /, ''));
      const s3 = new S3Client({ ...emulatorClientConfig({ endpoint }), maxAttempts: 1 });
      expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual([
        'alpha',
        'beta',
      ]);
      s3.destroy();
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid!, 'SIGTERM');
        await exited;
      }
    }
  });

  it('serves virtual-hosted requests for bucket.localhost', async () => {
    const { emu } = await emulator({ s3Buckets: ['vhost'] });
    const port = emu.port;
    const call = (method: string, path: string, body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, method, path, headers: { host: `vhost.localhost:${port}` } },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    expect((await call('PUT', '/dir/file.txt', 'hi')).status).toBe(200);
    expect(new TextDecoder().decode(emu.s3!.getObject('vhost', 'dir/file.txt'))).toBe('hi');
    const listed = await call('GET', '/?list-type=2&prefix=dir/');
    expect(listed.body).toContain('<Key>dir/file.txt</Key>');
    expect(listed.body).toContain('<KeyCount>1</KeyCount>');
  });
});
