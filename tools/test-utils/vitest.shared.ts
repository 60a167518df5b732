/**
 * One vitest config for every package. Vite 8 transforms TypeScript with Oxc; legacy decorators and
 * `design:paramtypes` metadata must be asked for explicitly or inversify cannot wire constructors in tests.
 * The `@tasklane/source` condition makes workspace packages resolve to their TypeScript sources.
 */
import { defineConfig } from 'vitest/config';

export const sourceConditions = ['@tasklane/source', 'node', 'import', 'default'];

export function tasklaneVitestConfig(overrides: { include?: string[]; testTimeout?: number } = {}) {
  return defineConfig({
    oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@tasklane/source'] } },
    test: {
      include: overrides.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 30_000,
      hookTimeout: 60_000,
      reporters: process.env.CI ? ['default'] : ['default'],
      pool: 'forks',
    },
  });
}

export default tasklaneVitestConfig();
