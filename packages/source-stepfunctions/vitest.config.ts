export { default } from '@tasklane/vitest-config';
