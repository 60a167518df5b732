#!/usr/bin/env node
// Runs the emulator from the built package: tasklane-emulator --port 8080 --long-poll 20s --time-scale 60
import { parseDuration, startEmulator } from '../dist/index.js';

const USAGE = `usage: tasklane-emulator [--port N] [--host H] [--long-poll D] [--time-scale X] [--state FILE] [--quiet]
  durations: 500ms, 2s, 1m, 1h (a bare number is milliseconds)`;

function fail(message) {
  process.stderr.write(`tasklane-emulator: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = {};
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) fail(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0..65535');
        options.port = port;
        break;
      }
      case '--host':
        options.host = value();
        break;
      case '--long-poll': {
        const ms = parseDuration(value());
        if (ms === undefined) fail('--long-poll must be a duration such as 20s');
        options.longPollMs = ms;
        break;
      }
      case '--time-scale': {
        const x = Number(value());
        if (!(x > 0)) fail('--time-scale must be a positive number');
        options.timeScale = x;
        break;
      }
      case '--state':
        options.stateFile = value();
        break;
      case '--buckets':
        options.s3Buckets = value()
          .split(',')
          .map((b) => b.trim())
          .filter((b) => b !== '');
        break;
      case '--quiet':
        quiet = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        fail(`unknown argument ${arg}`);
    }
  }
  if (!quiet) options.log = (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  return options;
}

const options = parseArgs(process.argv.slice(2));
let emulator;
let stopping = false;
const stop = async (signal) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`received ${signal}, closing\n`);
  await emulator?.close();
  process.exit(0);
};
// Installed before listening, so a signal during start-up still ends the process cleanly.
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

try {
  emulator = await startEmulator(options);
} catch (err) {
  process.stderr.write(`tasklane-emulator: ${err?.code ? `${err.code}: ` : ''}${err?.message ?? err}\n`);
  process.exit(1);
}
if (stopping) await emulator.close();
else process.stdout.write(`emulator listening on ${emulator.endpoint}\nS3 endpoint ${emulator.endpoint}\n`);
