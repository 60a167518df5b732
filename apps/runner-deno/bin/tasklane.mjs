#!/usr/bin/env -S deno run -A --quiet
// The published entry: `deno run -A npm:@tasklane/runner-deno …` runs this file, and so does `npx tasklane`
// with deno on PATH (through the shebang). It loads the compiled host, so no deno.json is needed.
import '../dist/main.js';
