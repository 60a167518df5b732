// Packs every public workspace package with pnpm (which rewrites workspace: ranges and applies
// publishConfig) and checks each tarball the way a registry user would meet it.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './proc.mjs';

const DEV_CONDITIONS = new Set(['@tasklane/source', 'bun', 'deno']);

/** The workspace's public packages: { dir, name, version, manifest }. */
export function publicPackages(root) {
  const found = [];
  for (const group of ['packages', 'apps']) {
    for (const entry of readdirSync(join(root, group), { withFileTypes: true })) {
      const file = join(root, group, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      if (!manifest.private)
        found.push({ dir: join(root, group, entry.name), name: manifest.name, manifest });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

function stripDev(exports) {
  if (exports === null || typeof exports !== 'object') return exports;
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([key]) => !DEV_CONDITIONS.has(key))
      .map(([key, value]) => [key, stripDev(value)]),
  );
}

function leaves(value, out = []) {
  if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) leaves(v, out);
  return out;
}

/**
 * Problems with one package's source manifest: the published exports must be the workspace exports
 * without the conditions that point Bun, Deno and tsc at TypeScript sources.
 */
export function manifestProblems({ name, manifest }) {
  const problems = [];
  if (manifest.publishConfig?.access !== 'public')
    problems.push(`${name}: publishConfig.access is not "public"`);
  if (manifest.exports) {
    const expected = JSON.stringify(stripDev(manifest.exports));
    if (JSON.stringify(manifest.publishConfig?.exports ?? manifest.exports) !== expected) {
      problems.push(
        `${name}: publishConfig.exports must equal exports without ${[...DEV_CONDITIONS].join(', ')}`,
      );
    }
  }
  return problems;
}

/** Problems with a packed tarball: workspace: ranges, referenced files absent, bins not executable. */
export async function tarballProblems(tarball) {
  const problems = [];
  const listing = await exec('tar', ['-tvzf', tarball]);
  const files = new Map();
  for (const line of listing.stdout.split('\n')) {
    const match = /^(\S+)\s.*\spackage\/(.+)$/.exec(line.trim());
    if (match) files.set(match[2], match[1]);
  }
  const pkgText = (await exec('tar', ['-xzOf', tarball, 'package/package.json'])).stdout;
  const pkg = JSON.parse(pkgText);
  const at = `${pkg.name}@${pkg.version}`;
  if (pkgText.includes('workspace:')) problems.push(`${at}: package.json still has a workspace: range`);
  const norm = (p) => p.replace(/^\.\//, '');
  const bins = typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {});
  const referenced = [...leaves(pkg.exports ?? {}), pkg.main, pkg.types, ...Object.values(bins)].filter(
    (p) => typeof p === 'string' && !p.includes('*'),
  );
  for (const file of referenced) {
    if (!files.has(norm(file))) problems.push(`${at}: ${file} is referenced but not in the tarball`);
  }
  for (const [bin, file] of Object.entries(bins)) {
    const mode = files.get(norm(file));
    if (mode && !mode.includes('x')) problems.push(`${at}: bin ${bin} (${file}) is not executable (${mode})`);
  }
  if (![...files.keys()].some((f) => f.endsWith('README.md'))) problems.push(`${at}: no README.md`);
  return problems;
}

/** Packs every public package into `dest`; returns [{ name, tarball }] and the problems found. */
export async function packAll(root, dest, env, skip = []) {
  const packages = publicPackages(root).filter((p) => !skip.includes(p.name));
  const problems = packages.flatMap(manifestProblems);
  const packed = [];
  // Two at a time: pnpm pack is mostly process start-up, and the machine has two cores.
  for (let i = 0; i < packages.length; i += 2) {
    const batch = packages.slice(i, i + 2);
    const results = await Promise.all(
      batch.map((p) => exec('pnpm', ['pack', '--pack-destination', dest, '--json'], { cwd: p.dir, env })),
    );
    results.forEach((result, j) => {
      if (result.code !== 0) {
        problems.push(`${batch[j].name}: pnpm pack failed: ${result.stderr || result.stdout}`);
        return;
      }
      const info = JSON.parse(result.stdout.slice(result.stdout.indexOf('{')));
      packed.push({ name: batch[j].name, tarball: info.filename, manifest: batch[j].manifest });
    });
  }
  for (const p of packed) problems.push(...(await tarballProblems(p.tarball)));
  return { packages, packed, problems };
}
