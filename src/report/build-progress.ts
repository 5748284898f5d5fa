// Renders a build's progress events as lines on stderr (kmatrix build, repro): the runtime,
// the config verdict, the compiler, each target as it starts and ends; make's own output
// only with --verbose.
import type { Writable } from 'node:stream';
import type { BuildEvent } from '../build/events.js';

export interface BuildProgressOptions {
  /** Stream make's output as it comes. */
  verbose: boolean;
  /** Show each target's make command as it starts (else only "building TARGET"). */
  commands: boolean;
}

export function buildProgressLine(
  e: BuildEvent,
  o: Pick<BuildProgressOptions, 'commands'>,
): string | undefined {
  switch (e.type) {
    case 'build:runtime':
      return e.note;
    case 'build:config':
      return `${e.cell}: config ${e.verdict}`;
    case 'build:compiler':
      return `${e.cell}: compiler ${e.version}`;
    case 'build:target-start':
      return o.commands ? `${e.cell}: ${e.command}` : `${e.cell}: building ${e.target}`;
    case 'build:target-done':
      return `${e.cell}: ${e.target} ${e.status} (${(e.ms / 1000).toFixed(1)}s)`;
    case 'build:output':
    case 'build:done':
      return undefined;
  }
}

export function buildProgressReporter(
  stream: Writable,
  o: BuildProgressOptions,
): (e: BuildEvent) => void {
  return (e) => {
    if (e.type === 'build:output') {
      if (o.verbose) stream.write(e.chunk);
      return;
    }
    const line = buildProgressLine(e, o);
    if (line !== undefined) stream.write(`kmatrix: ${line}\n`);
  };
}
