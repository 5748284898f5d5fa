// A runtime whose commands run under `nice -n 10` (inside the container for docker): for
// builds off the critical path, such as a triage's config minimization beside its culprit
// search. Reproducers show the plain command.
import type { RunCommand, RunOutcome, Runtime, RuntimePaths, Workspace } from './runtime.js';

export class LowPriorityRuntime implements Runtime {
  constructor(private readonly inner: Runtime) {}

  get info() {
    return this.inner.info;
  }

  paths(ws: Workspace): RuntimePaths {
    return this.inner.paths(ws);
  }

  run(ws: Workspace, cmd: RunCommand): Promise<RunOutcome> {
    return this.inner.run(ws, { ...cmd, argv: ['nice', '-n', '10', ...cmd.argv] });
  }

  reproduce(ws: Workspace, cmd: Pick<RunCommand, 'argv' | 'env'>): string {
    return this.inner.reproduce(ws, cmd);
  }
}
