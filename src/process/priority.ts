// Work off the critical path at a lower CPU priority: its commands run under `nice -n 10`,
// so on a busy machine they get the time the others leave (the triage of a pin, beside the
// build failures' triage, src/triage/stage.ts). Results read as if run directly.
import type { PipelineStep, ProcessRunner } from './runner.js';

const NICE = ['-n', '10'] as const;

const niced = (s: PipelineStep): PipelineStep => ({
  file: 'nice',
  args: [...NICE, s.file, ...s.args],
});

export function lowPriority(runner: ProcessRunner): ProcessRunner {
  const prefix = `nice ${NICE.join(' ')} `;
  return {
    async run(file, args, options) {
      const r = await runner.run('nice', [...NICE, file, ...args], options);
      return {
        ...r,
        command: r.command.startsWith(prefix) ? r.command.slice(prefix.length) : r.command,
      };
    },
    pipeline: ([first, ...rest], options) =>
      runner.pipeline([niced(first), ...rest.map(niced)], options),
  };
}
