// The process runner for bisect: execa like src/process/runner.ts, but without execa's
// `cleanup` (signal-exit) hooks. signal-exit compares the number of SIGINT listeners with
// the number of live subprocesses; with two parallel workers the counts match and it
// re-raises SIGINT, killing kmatrix before the abort handler can remove the run dir. A
// bisect cancels every child through the AbortSignal instead (aborted by bin/kmatrix.js on
// SIGINT/SIGTERM).
import { createExecaRunner } from '../process/runner.js';

export const bisectRunner = createExecaRunner({ cleanup: false });
