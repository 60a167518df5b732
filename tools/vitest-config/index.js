/**
 * The one vitest config every Tasklane package uses (`export { default } from '@tasklane/vitest-config'`).
 *
 * Plain JavaScript on purpose: vite loads a config's bare imports with Node's own loader, and Node 20
 * cannot import TypeScript, so a `.ts` entry here would need a build before any test could start.
 *
 * Vite 8 transforms TypeScript with Oxc; legacy decorators and `design:paramtypes` metadata must be
 * asked for explicitly or inversify cannot wire constructors in tests. The `@tasklane/source` condition
 * makes workspace packages resolve to their TypeScript sources, so tests never run stale builds.
 */
import { defineConfig } from 'vitest/config';

export const sourceConditions = ['@tasklane/source', 'node', 'import', 'default'];

/** @param {{ include?: string[]; testTimeout?: number }} [overrides] */
export function tasklaneVitestConfig(overrides = {}) {
  return defineConfig({
    oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@tasklane/source'] } },
    test: {
      include: overrides.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
    },
  });
}

export default tasklaneVitestConfig();
