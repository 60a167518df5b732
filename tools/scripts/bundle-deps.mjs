#!/usr/bin/env node
// Inlines many-file dependencies into a package's tsc output, after tsc:
//   node ../../tools/scripts/bundle-deps.mjs inversify   (run in the package directory)
// Node pays per ESM file it loads: inversify is ~250 files, ~115 ms of CPU and ~17 MB before the first poll,
// against ~6 ms and ~1 MB as one file. Each named package is bundled with its own dependencies into
// dist/vendor/<name>.js (its peer dependencies, reflect-metadata here, stay imports: one global polyfill),
// the emitted .js files import that file instead of the package, and the bundled packages' licences go
// beside it. Types are left alone: the .d.ts files still name the package, which stays a dependency.
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { rolldown } from 'rolldown';

const cwd = process.cwd();
const dist = join(cwd, 'dist');
const vendor = join(dist, 'vendor');
const names = process.argv.slice(2);
if (names.length === 0) {
  console.error('usage: bundle-deps.mjs PACKAGE…  (in a package directory, after its tsc build)');
  process.exit(2);
}

/** The nearest package.json with a name above `file`: the package the file belongs to. */
function packageOf(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const json = JSON.parse(readFileSync(path, 'utf8'));
      if (json.name) return { dir, json };
    }
  }
  throw new Error(`no package.json above ${file}`);
}

const packageName = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Where `name` is installed for code in `from` (node_modules lookup; exports may hide package.json). */
function installed(name, from) {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
  }
  throw new Error(`${name} is not installed for ${from}`);
}

/** `name` and its dependencies, transitively (not its peers), each resolved from where it is installed. */
function inlined(name, from, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const dir = installed(name, from);
  const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const dep of Object.keys(json.dependencies ?? {})) inlined(dep, dir, seen);
  return seen;
}

function licenceText(dir) {
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  if (!file) throw new Error(`${dir}: no licence file to ship with the bundled code`);
  return readFileSync(join(dir, file), 'utf8').trim();
}

function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return path === vendor ? [] : jsFiles(path);
    return e.name.endsWith('.js') ? [path] : [];
  });
}

const quoted = (name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

mkdirSync(vendor, { recursive: true });
for (const name of names) {
  const inline = inlined(name, cwd);
  const bundle = await rolldown({
    cwd,
    input: { [name.replace(/[@/]/g, '_')]: name },
    platform: 'neutral',
    external: (id) =>
      !id.startsWith('.') &&
      !id.startsWith('\0') &&
      !/^[/\\]|^[A-Za-z]:/.test(id) &&
      !inline.has(packageName(id)),
  });
  const output = await bundle.generate({ format: 'esm' });
  await bundle.close();
  const [chunk, ...rest] = output.output;
  if (rest.length > 0 || chunk.type !== 'chunk') throw new Error(`${name}: expected one chunk`);
  const file = `${name.replace(/[@/]/g, '_')}.js`;

  // Every package whose code is in the bundle, with its licence (MIT and Apache-2.0 both ask for it).
  const packages = new Map();
  for (const id of chunk.moduleIds) {
    if (id.startsWith('\0')) continue;
    const { dir, json } = packageOf(id);
    if (dir !== cwd) packages.set(`${json.name}@${json.version}`, { dir, json });
  }
  const licences = [...packages].sort(([a], [b]) => a.localeCompare(b));
  const notice = licences.map(
    ([id, { dir, json }]) => `${id} (${json.license ?? 'see below'})\n\n${licenceText(dir)}\n`,
  );
  const licenceFile = `${file.slice(0, -3)}.LICENSES.txt`;
  writeFileSync(
    join(vendor, licenceFile),
    `Third-party code bundled into ${file} (built from these packages, unmodified):\n\n${notice.join('\n---\n\n')}`,
  );
  const banner = `/*! ${licences.map(([id, { json }]) => `${id} ${json.license}`).join(', ')}; licences: ./${licenceFile} */\n`;
  writeFileSync(join(vendor, file), banner + chunk.code);

  // Imports of the package in the emitted code now name the bundle, relative to each file.
  const pattern = new RegExp(`((?:from|import)\\s*\\(?\\s*)(['"])${quoted(name)}\\2`, 'g');
  for (const js of jsFiles(dist)) {
    const code = readFileSync(js, 'utf8');
    let target = relative(dirname(js), join(vendor, file)).split(sep).join('/');
    if (!target.startsWith('.')) target = `./${target}`;
    const next = code.replace(pattern, (_, lead, q) => `${lead}${q}${target}${q}`);
    if (next !== code) writeFileSync(js, next);
    if (new RegExp(`(['"])${quoted(name)}(/[^'"]*)?\\1`).test(next))
      throw new Error(`${relative(cwd, js)} still names ${name} in a way this script does not rewrite`);
  }
  console.log(`bundle-deps: ${name} -> ${relative(cwd, join(vendor, file))} (${packages.size} packages)`);
}
