#!/usr/bin/env node
// `npm create tasklane`, `bun create tasklane` and `deno run -A npm:create-tasklane` land here.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
