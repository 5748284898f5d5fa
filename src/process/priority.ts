// Work off the critical path at a lower CPU priority: its commands run under `nice -n 10`,
// so on a busy machine they get the time kmatrix's other host commands leave (the triage of
// a pin, beside the build failures' triage, src/triage/stage.ts). Results read as if run
// directly. nice orders processes within one scheduling group only: builds in docker
// containers (a cgroup of their own) and processes of other sessions (with the kernel's
// autogroups) do not get the time back. Measured on a 2-core VM with autogroups: a container
// build beside two niced host loops took 15-17 s against 9-10 s alone (docs/triage.md).
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
