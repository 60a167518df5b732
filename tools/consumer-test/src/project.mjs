// One runtime's pass through the consumer flow, the same commands as the README's "Start your own
// runner": scaffold, install, build, test, then the handler under `tasklane run` against
// `tasklane emulator` until the pipeline finishes.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { exec, start } from './proc.mjs';
import { SQL_RUNTIMES, sqlPluginSteps } from './sql-plugin.mjs';

const WORKER_GROUP = 'wg-1';
const LOCAL_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: 'us-east-1',
};

/** How each runtime installs, runs scripts and runs the tasklane command. */
export const RUNTIMES = {
  node: {
    install: ['npm', 'install', '--no-audit', '--no-fund'],
    script: (name) => ['npm', 'run', name],
    tasklane: ['npx', '--no', 'tasklane'],
    // Long-running commands start the bin itself: npx does not pass SIGTERM on to it.
    serve: ['node_modules/.bin/tasklane'],
    plugin: './dist/src/handler.js',
  },
  bun: {
    install: ['bun', 'install'],
    script: (name) => ['bun', 'run', name],
    tasklane: ['bun', 'x', 'tasklane'],
    // bun x passes a signal on, so a terminal's Ctrl-C (sent to the group) would arrive twice.
    serve: ['node_modules/.bin/tasklane'],
    plugin: './src/handler.ts',
  },
  deno: {
    // From the tarballs unpacked by create-tasklane and listed as deno.json "links".
    install: ['deno', 'install'],
    script: (name) => ['deno', 'task', name],
    tasklane: ['deno', 'run', '-A', 'npm:@tasklane/runner-deno'],
    serve: ['deno', 'run', '-A', 'npm:@tasklane/runner-deno'],
    plugin: './src/handler.ts',
  },
};

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}

/**
 * Runs the flow for one runtime in `dir` (created by the scaffold). `step(name, fn)` records each step;
 * a step that throws fails the runtime.
 */
export async function consumerFlow({ runtime, workDir, packs, createTarball, env, step }) {
  const rt = RUNTIMES[runtime];
  const dir = join(workDir, `my-runner-${runtime}`);
  const run = async (argv, cwd = dir, extraEnv = {}, timeoutMs) => {
    const result = await exec(argv[0], argv.slice(1), { cwd, env: { ...env, ...extraEnv }, timeoutMs });
    if (result.code !== 0) {
      throw new Error(`${argv.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`.trim());
    }
    return result.stdout;
  };

  await step('scaffold', () =>
    run(
      ['npm', 'exec', '--yes', `--package=${createTarball}`, '--', 'create-tasklane', dir]
        .concat([
          '--runtime',
          runtime,
          '--package-manager',
          { node: 'npm', bun: 'bun', deno: 'deno' }[runtime],
        ])
        .concat(['--tarballs', packs]),
      workDir,
    ),
  );
  await step('install', () => run(rt.install));
  await step('bin tasklane', async () => {
    // The installed bin itself (execute bit, shebang, runtime on PATH) prints the runtime it runs on.
    // deno install makes no node_modules/.bin; there the package's bin runs through deno run npm:….
    const bin = runtime === 'deno' ? rt.tasklane : [join(dir, 'node_modules', '.bin', 'tasklane')];
    const direct = await run([...bin, '--version']);
    if (!direct.includes(`(${runtime} `))
      throw new Error(`bin/tasklane --version printed ${JSON.stringify(direct)}`);
    // And the runtime's own way in (npx, bun x, deno run -A npm:…).
    const usage = await run([...rt.tasklane, 'help']);
    if (!usage.includes('Usage: tasklane'))
      throw new Error(`${rt.tasklane.join(' ')} help printed ${JSON.stringify(usage)}`);
  });
  await step('build', () => run(rt.script('build')));
  await step('test', () => run(rt.script('test')));

  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const tl = (args) => [...rt.tasklane, ...args];
  const localEnv = { ...env, ...LOCAL_CREDENTIALS };
  const emulatorArgv = [...rt.serve, 'emulator', '--port', String(port), '--long-poll', '2s'];
  const emulator = start(emulatorArgv[0], emulatorArgv.slice(1), { cwd: dir, env: localEnv });
  let runner;
  try {
    await step('emulator', () =>
      waitFor('the emulator to listen', () => emulator.output().includes(`${port}`), 60_000),
    );
    const pipelineId = await step('pipeline', async () => {
      const out = await run(
        tl(['pipeline', 'create', '--endpoint', endpoint, '--name', `consumer-${runtime}`]).concat([
          '--definition',
          'pipeline.json',
          '--activate',
        ]),
        dir,
        LOCAL_CREDENTIALS,
      );
      return JSON.parse(out.slice(out.indexOf('{'))).pipelineId;
    });
    const argv = [
      ...rt.serve,
      'run',
      '--worker-group',
      WORKER_GROUP,
      '--plugin',
      rt.plugin,
      '--endpoint',
      endpoint,
    ];
    runner = start(argv[0], argv.slice(1), { cwd: dir, env: localEnv });
    await step('pipeline FINISHED', () =>
      waitFor(
        'every instance to finish',
        async () => {
          const out = await run(
            tl(['pipeline', 'status', '--endpoint', endpoint, '--pipeline-id', pipelineId]),
            dir,
            LOCAL_CREDENTIALS,
          );
          const rows = JSON.parse(out.slice(out.indexOf('[')));
          const bad = rows.find((r) => ['FAILED', 'CANCELED', 'CASCADE_FAILED'].includes(r.status));
          if (bad)
            throw new Error(`instance ${bad.id} is ${bad.status}: ${bad.error ?? ''}\n${runner.output()}`);
          return rows.length > 0 && rows.every((r) => r.status === 'FINISHED');
        },
        90_000,
      ).catch((error) => {
        throw new Error(`${error.message}\n${runner.output()}`);
      }),
    );
    await step('handler output', () => {
      const text = readFileSync(join(dir, 'out', 'greeting.txt'), 'utf8');
      if (text !== 'Hello, Tasklane!\n') throw new Error(`out/greeting.txt is ${JSON.stringify(text)}`);
    });
    await step('graceful stop', async () => {
      const exit = await runner.stop('SIGTERM', 30_000);
      if (exit.code !== 0 || !runner.output().includes('"msg":"tasklane runner stopped"')) {
        throw new Error(`runner ended ${exit.code ?? exit.signal} after SIGTERM\n${runner.output()}`);
      }
    });
    if (SQL_RUNTIMES.has(runtime)) {
      await sqlPluginSteps({
        ...{ runtime, rt, dir, packs, endpoint, run, tl, step, waitFor },
        // Not the project: `--plugin @tasklane/handlers-sql` must resolve through the CLI itself.
        outside: workDir,
        localEnv,
      });
    }
  } finally {
    if (runner) await runner.stop('SIGKILL', 1000);
    await emulator.stop('SIGTERM', 5000);
  }
}
