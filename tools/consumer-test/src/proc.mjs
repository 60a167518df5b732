// Child processes of the consumer test: each in its own process group, so a runner and what it spawned
// end together, and every group still alive is ended when the test exits, by its own id.
import { spawn } from 'node:child_process';

const groups = new Set();

/** Ends every process group this test started and has not seen exit. */
export function killAll() {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  }
  groups.clear();
}
process.on('exit', killAll);

// What a shell started in `cwd` would pass on: PWD names the directory (tasklane resolves --plugin paths
// against it).
function shellEnv(env = process.env, cwd) {
  return cwd ? { ...env, PWD: cwd } : env;
}

/**
 * Runs a command to completion; resolves with { code, stdout, stderr, ms }. Output is kept (and printed
 * on failure by the caller); `timeoutMs` ends the whole group.
 */
export function exec(cmd, args, { cwd, env, timeoutMs = 300_000 } = {}) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: shellEnv(env, cwd),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    groups.add(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
      stderr += `\n[consumer-test] timed out after ${timeoutMs} ms`;
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      groups.delete(child.pid);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Starts a long-running command; returns { pid, output(), exited, stop(signal) }. */
export function start(cmd, args, { cwd, env } = {}) {
  const child = spawn(cmd, args, {
    cwd,
    env: shellEnv(env, cwd),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  groups.add(child.pid);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      groups.delete(child.pid);
      resolve({ code, signal });
    }),
  );
  return {
    pid: child.pid,
    output: () => output,
    exited,
    /**
     * Signals the process itself (as an orchestrator signals PID 1; wrappers such as npx forward it, so
     * signalling the whole group would deliver it twice), waits up to `graceMs`, then kills the group.
     */
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      try {
        process.kill(child.pid, signal);
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }, graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
