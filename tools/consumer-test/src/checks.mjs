// Release checks on what would be published: publint and @arethetypeswrong/cli on every packed tarball,
// and `deno publish --dry-run` on every package with a jsr.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from './proc.mjs';

// The pinned tools of this package, through the bin links its install made.
const binDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.bin');

async function inPairs(items, fn) {
  const out = [];
  for (let i = 0; i < items.length; i += 2) out.push(...(await Promise.all(items.slice(i, i + 2).map(fn))));
  return out;
}

/**
 * publint (warnings count as errors) and attw (ESM-only profile: the packages are ESM, so CommonJS
 * resolution modes are out of scope) on each tarball; attw only where the package has exports.
 */
export async function tarballChecks(packed, env) {
  const publint = join(binDir, 'publint');
  const attw = join(binDir, 'attw');
  const problems = await inPairs(packed, async ({ name, tarball, manifest }) => {
    const found = [];
    const lint = await exec(publint, ['run', tarball, '--strict'], { env });
    if (lint.code !== 0) found.push(`${name}: publint\n${lint.stdout}${lint.stderr}`);
    if (manifest.exports) {
      const types = await exec(attw, [tarball, '--profile', 'esm-only', '--format', 'ascii'], {
        env,
      });
      if (types.code !== 0) found.push(`${name}: attw\n${types.stdout}${types.stderr}`);
    }
    return found;
  });
  return problems.flat();
}

/** `deno publish --dry-run` in each package directory that has a jsr.json whose version matches. */
export async function jsrChecks(packages, deno, env) {
  const withJsr = packages.filter(({ dir }) => existsSync(join(dir, 'jsr.json')));
  const problems = await inPairs(withJsr, async ({ dir, name, manifest }) => {
    const found = [];
    const jsr = JSON.parse(readFileSync(join(dir, 'jsr.json'), 'utf8'));
    if (jsr.name !== name || jsr.version !== manifest.version) {
      found.push(
        `${name}: jsr.json says ${jsr.name}@${jsr.version}, package.json ${name}@${manifest.version}`,
      );
    }
    // Slow types allowed: npm users get tsc's declarations; JSR's own .d.ts generation is not relied on.
    const result = await exec(deno, ['publish', '--dry-run', '--allow-dirty', '--allow-slow-types'], {
      cwd: dir,
      env,
    });
    if (result.code !== 0) found.push(`${name}: deno publish --dry-run\n${result.stdout}${result.stderr}`);
    return found;
  });
  return problems.flat();
}
