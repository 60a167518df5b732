import { portableRuntime } from '@tasklane/core';
import type { Host } from '../src/index.ts';

/** A host that captures output; env comes from the given map only, so tests never see the machine's. */
export function captureHost(env: Record<string, string> = {}): Host & { out: string; err: string } {
  const host = {
    out: '',
    err: '',
    runtime: portableRuntime({ name: 'test', hostname: () => 'test-host', env: (name: string) => env[name] }),
    isTTY: false,
    stdout(text: string) {
      host.out += text;
    },
    stderr(text: string) {
      host.err += text;
    },
    selfCommand: () => ['false'],
    serve: () => Promise.reject(new Error('not used')),
  };
  return host;
}
