#!/usr/bin/env node
// Circular imports between the files of every project, found with dpdm (a few seconds for the whole
// tree). Type-only imports are erased at run time and are not counted; dynamic import() is. Cycles
// between packages are check-boundaries.mjs's job (and nx refuses them in the build graph).
// Exit 1 on a cycle.
import { parseCircular, parseDependencyTree } from 'dpdm';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const globs = ['src', 'test', 'bin'].flatMap((dir) =>
  ['packages', 'apps', 'tools'].map((group) => `${group}/*/${dir}/**/*.{ts,mts,mjs}`),
);

export async function findCycles() {
  const tree = await parseDependencyTree(globs, {
    cwd: root,
    context: root,
    transform: true,
    onProgress: () => {},
  });
  return { files: Object.keys(tree).length, cycles: parseCircular(tree) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { files, cycles } = await findCycles();
  for (const cycle of cycles) console.error(`cycles: ${[...cycle, cycle[0]].join(' -> ')}`);
  console.error(`cycles: ${files} files, ${cycles.length} import cycle(s)`);
  process.exit(cycles.length === 0 ? 0 : 1);
}
