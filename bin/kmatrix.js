#!/usr/bin/env node
// Entry point installed as `kmatrix`; the CLI itself lives in dist/cli/main.js (built by `npm run build`).
import { getEventListeners } from 'node:events';
import { main } from '../dist/cli/main.js';

// SIGINT/SIGTERM abort the signal the commands get through their io, when a command is in a
// part that stops cleanly (it listens on the signal: see interruptible() in src/cli/io.ts).
// Otherwise, and on a second signal, the signal ends the process as its default action would.
const controller = new AbortController();
const onSignal = (sig) => {
  if (!controller.signal.aborted && getEventListeners(controller.signal, 'abort').length > 0) {
    controller.abort(sig);
    return;
  }
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.kill(process.pid, sig);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
