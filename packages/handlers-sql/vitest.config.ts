export { default } from '../../tools/test-utils/vitest.shared.ts';
