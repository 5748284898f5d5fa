// The kmatrix command line: parse argv into typed options, call the library, return the exit code.
// 0 = success / satisfied, 1 = expected failure (unsatisfied, build failed), 2 = usage or
// infrastructure, 3 = bisect endpoints that do not bracket a regression.
import { Command, CommanderError } from 'commander';
import { isKmatrixError, errorMessage } from '../core/errors.js';
import type { CliIo } from './io.js';
import { registerBisect } from './commands/bisect.js';
import { registerBuild } from './commands/build.js';
import { registerConfig } from './commands/config.js';
import { registerConfigBisect } from './commands/config-bisect.js';
import { registerExplain } from './commands/explain.js';
import { registerGc } from './commands/gc.js';
import { registerImages } from './commands/images.js';
import { registerRun } from './commands/run.js';
import { registerRepro } from './commands/repro.js';
import { registerTriage } from './commands/triage.js';
import { registerSolve } from './commands/solve.js';
import { registerWorker } from './commands/worker.js';
import { kmatrixVersion } from './version.js';

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = new Command('kmatrix')
    .description('Build-matrix orchestrator for the Linux kernel')
    .version(kmatrixVersion(), '-V, --version', 'print the kmatrix version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // commander's own usage errors ("error: unknown option ...") read like ours
      outputError: (s, write) => write(`kmatrix: ${s}`),
    })
    .showHelpAfterError(false);

  const setExit = (code: number) => {
    exitCode = code;
  };
  registerConfig(program, io, setExit);
  registerExplain(program, io, setExit);
  registerBuild(program, io, setExit);
  registerImages(program, io, setExit);
  registerBisect(program, io, setExit);
  registerConfigBisect(program, io, setExit);
  registerRun(program, io, setExit);
  registerRepro(program, io, setExit);
  registerTriage(program, io, setExit);
  registerSolve(program, io, setExit);
  registerGc(program, io, setExit);
  registerWorker(program, io, setExit);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; everything else commander rejects is a usage error
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isKmatrixError(e)) {
      io.stderr.write(`kmatrix: error: ${controlEscaped(e.message)}\n`);
      if (e.detail) io.stderr.write(indent(e.detail) + '\n');
      return 2;
    }
    io.stderr.write(`kmatrix: internal error: ${errorMessage(e)}\n`);
    if (e instanceof Error && e.stack) io.stderr.write(e.stack + '\n');
    return 2;
  }
  return exitCode;
}

/** Lines stay lines; any other control character a value brought in is shown escaped. */
function controlEscaped(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
