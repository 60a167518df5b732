/**
 * The slim entry of the CLI for the runtime apps (`@tasklane/cli/main`): `main` and the process host,
 * with every command loaded only when used.
 */
export { main, usage } from './cli.ts';
export { processHost, runCli } from './host-base.ts';
