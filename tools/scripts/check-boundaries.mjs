#!/usr/bin/env node
// Module boundaries by nx tags, the way @nx/enforce-module-boundaries reads them. That rule ships in
// @nx/eslint-plugin, which has no release matching nx 24.0.6, so this script checks the same thing
// directly: each project's `nx.tags` in package.json, its declared dependencies and its actual
// @tasklane/* imports. Exit 1 on any violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Each project carries one tag of each dimension. `scope:` says what it is about, `type:` whether it is
// published (lib), an app, a private tool or a test kit, and `runtime:` where it may run: `portable`
// (no runtime APIs at all, lint-enforced in core), `adapters` (per-runtime entry points),
// `node-api` (node:* modules, which Bun and Deno provide too) or one runtime only.
const dimensions = ['scope', 'type', 'runtime'];

// Production edges (dependencies, peers, imports from non-test source) must satisfy these, in nx's
// depConstraints form. Test edges (devDependencies, imports from tests) only may not reach an app.
export const depConstraints = [
  { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'] },
  { sourceTag: 'runtime:portable', onlyDependOnLibsWithTags: ['runtime:portable'] },
  { sourceTag: 'runtime:adapters', onlyDependOnLibsWithTags: ['runtime:portable'] },
  { sourceTag: 'runtime:node-api', notDependOnLibsWithTags: ['runtime:node', 'runtime:bun', 'runtime:deno'] },
  { sourceTag: 'type:lib', notDependOnLibsWithTags: ['type:app', 'type:tool', 'type:test'] },
  { sourceTag: '*', notDependOnLibsWithTags: ['type:app'] },
];

const SOURCE_EXT = /\.(?:ts|mts|js|mjs)$/;
// What ships: src/ and bin/, less tests. Everything else (test/, configs, fixtures) only builds or
// tests the project. templates/ is code for other projects (create-tasklane copies it) and is skipped.
const isProductionFile = (rel) =>
  /^(src|bin)\//.test(rel) &&
  !/(^|\/)(test|__tests__|fixtures)\//.test(rel) &&
  !/\.(test|spec)\.[mc]?[jt]s$/.test(rel);
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'templates']);

function walk(dir, out = []) {
  for (const entry of readdirSync(dir)) {
    if (SKIPPED_DIRS.has(entry) || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (SOURCE_EXT.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every workspace project (packages/*, apps/*, tools/* with a package.json). */
export function readProjects(base = root) {
  const projects = [];
  for (const group of ['packages', 'apps', 'tools']) {
    let names = [];
    try {
      names = readdirSync(join(base, group));
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = join(base, group, name);
      let manifest;
      try {
        manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      } catch {
        continue;
      }
      projects.push({ dir, rel: relative(base, dir), manifest, tags: manifest.nx?.tags ?? [] });
    }
  }
  return projects;
}

// Comments may quote imports (module examples); strip them before looking.
const stripComments = (text) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\w])\/\/.*$/gm, '$1');
const IMPORT =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"](@tasklane\/[\w.-]+)(?:\/[^'"]*)?['"]/g;

function importsOf(file) {
  const found = new Set();
  for (const m of stripComments(readFileSync(file, 'utf8')).matchAll(IMPORT)) found.add(m[1]);
  return found;
}

const matches = (tags, wanted) => wanted === '*' || tags.includes(wanted);

/** Violations of one project's edges, as readable lines. */
function checkProject(project, byName) {
  const problems = [];
  const { manifest } = project;
  const own = manifest.name;
  for (const dimension of dimensions)
    if (project.tags.filter((t) => t.startsWith(`${dimension}:`)).length !== 1)
      problems.push(
        `${own}: needs exactly one "${dimension}:" tag in nx.tags (has ${JSON.stringify(project.tags)})`,
      );
  const prodDeclared = new Set(
    Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies }),
  );
  const devDeclared = new Set(Object.keys(manifest.devDependencies ?? {}));
  const edges = [];
  for (const dep of prodDeclared) if (byName.has(dep)) edges.push({ dep, prod: true, why: 'package.json' });
  for (const dep of devDeclared)
    if (byName.has(dep)) edges.push({ dep, prod: false, why: 'devDependencies' });
  for (const file of walk(project.dir)) {
    const rel = relative(project.dir, file);
    const test = !isProductionFile(rel);
    for (const dep of importsOf(file)) {
      if (dep === own) continue;
      const where = `${project.rel}/${rel}`;
      if (!byName.has(dep)) problems.push(`${where}: imports ${dep}, which is no workspace project`);
      else if (!test && !prodDeclared.has(dep))
        problems.push(
          `${where}: imports ${dep}, which ${own} does not list in dependencies or peerDependencies`,
        );
      else if (test && !prodDeclared.has(dep) && !devDeclared.has(dep))
        problems.push(`${where}: imports ${dep}, which ${own} does not list in any dependencies`);
      edges.push({ dep, prod: !test, why: where });
    }
  }
  for (const { dep, prod, why } of edges) {
    const target = byName.get(dep);
    if (!target) continue;
    for (const rule of depConstraints) {
      if (!matches(project.tags, rule.sourceTag)) continue;
      if (!prod && rule.sourceTag !== '*') continue;
      const only = rule.onlyDependOnLibsWithTags;
      const not = rule.notDependOnLibsWithTags;
      if (only && !only.some((t) => target.tags.includes(t)))
        problems.push(
          `${why}: ${own} (${rule.sourceTag}) may depend only on ${only.join(' | ')}, not ${dep} (${target.tags.join(', ')})`,
        );
      if (not?.some((t) => target.tags.includes(t)))
        problems.push(
          `${why}: ${own} (${rule.sourceTag}) may not depend on ${not.join(' | ')}: ${dep} (${target.tags.join(', ')})`,
        );
    }
  }
  return problems;
}

/** A cycle among production dependencies, as a list of names, or undefined. */
function productionCycle(projects) {
  const next = new Map(
    projects.map((p) => [
      p.manifest.name,
      Object.keys({
        ...p.manifest.dependencies,
        ...p.manifest.peerDependencies,
        ...p.manifest.optionalDependencies,
      }),
    ]),
  );
  const state = new Map();
  const stack = [];
  const visit = (name) => {
    if (state.get(name) === 'done' || !next.has(name)) return undefined;
    if (state.get(name) === 'open') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'open');
    stack.push(name);
    for (const dep of next.get(name)) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of next.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

export function checkBoundaries(base = root) {
  const projects = readProjects(base);
  const byName = new Map(projects.map((p) => [p.manifest.name, p]));
  const problems = projects.flatMap((p) => checkProject(p, byName));
  const cycle = productionCycle(projects);
  if (cycle) problems.push(`production dependency cycle: ${cycle.join(' -> ')}`);
  return { projects: projects.length, problems };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { projects, problems } = checkBoundaries();
  for (const line of problems) console.error(`boundaries: ${line}`);
  console.error(`boundaries: ${projects} projects, ${problems.length} violation(s)`);
  process.exit(problems.length === 0 ? 0 : 1);
}
