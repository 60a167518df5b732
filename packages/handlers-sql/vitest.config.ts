import shared from '@tasklane/vitest-config';

// The shared config hands `import` to the test workers as a Node condition, which makes pg's CommonJS
// `require('pg-pool')` load pg-pool's ESM build and fail; Node adds `import` by itself where it belongs.
const conditions = ['@tasklane/source', 'node', 'default'];

export default {
  ...shared,
  ssr: { ...shared.ssr, resolve: { ...shared.ssr?.resolve, conditions } },
  // Each file creates its own databases; one file at a time keeps the two shared cores usable.
  test: { ...shared.test, fileParallelism: false },
};
