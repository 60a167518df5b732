import type { UserConfig } from 'vitest/config';

/** Resolve conditions that point workspace packages at their TypeScript sources. */
export declare const sourceConditions: string[];
/** The shared config with a different test `include` or `testTimeout`. */
export declare function tasklaneVitestConfig(overrides?: {
  include?: string[];
  testTimeout?: number;
}): UserConfig;
declare const config: UserConfig;
export default config;
