// A Runtime wrapper that gives runBuild's make steps what a report asked for: the allowed
// make variables (W=1 ...), -k so one failing file does not hide another's errors, and the
// report's directory/file goals in place of the kernel image goal. runBuild knows none of
// these; wrapping the runtime keeps the build code as it is, and the reproducer.sh it writes
// (through runtime.reproduce) carries the same command lines.
import { appendFile } from 'node:fs/promises';
import type {
  RunCommand,
  RunOutcome,
  Runtime,
  RuntimePaths,
  Workspace,
} from '../runtime/runtime.js';
import { shellJoin } from '../process/shell-quote.js';

export interface MakeOverrides {
  /** Checked NAME=value strings, inserted before the goal. */
  vars: readonly string[];
  keepGoing: boolean;
  /** Replace this goal (the arch's image target) by these goals. */
  goals?: { replace: string; with: readonly string[] };
}

export class MakeOverrideRuntime implements Runtime {
  /** Every make argv run, after rewriting. */
  readonly ran: string[][] = [];

  constructor(
    private readonly inner: Runtime,
    private readonly o: MakeOverrides,
  ) {}

  get info() {
    return this.inner.info;
  }

  paths(ws: Workspace): RuntimePaths {
    return this.inner.paths(ws);
  }

  rewrite(argv: readonly string[]): string[] {
    if (argv[0] !== 'make' || argv.length < 2) return [...argv];
    const goal = argv[argv.length - 1]!;
    const goals = this.o.goals && goal === this.o.goals.replace ? this.o.goals.with : [goal];
    return [...argv.slice(0, -1), ...(this.o.keepGoing ? ['-k'] : []), ...this.o.vars, ...goals];
  }

  async run(ws: Workspace, cmd: RunCommand): Promise<RunOutcome> {
    const argv = this.rewrite(cmd.argv);
    if (argv[0] === 'make') {
      this.ran.push(argv);
      if (cmd.logFile) await appendFile(cmd.logFile, `# kmatrix repro runs: ${shellJoin(argv)}\n`);
    }
    return this.inner.run(ws, { ...cmd, argv });
  }

  reproduce(ws: Workspace, cmd: Pick<RunCommand, 'argv' | 'env'>): string {
    return this.inner.reproduce(ws, { ...cmd, argv: this.rewrite(cmd.argv) });
  }
}
