// Object-only build steps. When every new error is a compiler or assembler error in a .c/.S
// file, a bisect or minimization step builds only those objects (`make F.o`: Kbuild runs
// `prepare` first, then compiles F with exactly the flags of the full build) instead of the
// kernel image. This is a necessary condition of the full build failing with the error, not a
// sufficient one (`make F.o` compiles F even where the config leaves it out): triage confirms
// every answer found this way with full builds (verify.ts, minimize.ts). docs/triage.md.
import { appendFile } from 'node:fs/promises';
import type {
  RunCommand,
  RunOutcome,
  Runtime,
  RuntimePaths,
  Workspace,
} from '../runtime/runtime.js';
import { shellJoin } from '../process/shell-quote.js';

export class ObjectGoalRuntime implements Runtime {
  constructor(
    private readonly inner: Runtime,
    /** The arch's image goal (zImage, bzImage, Image, ...), replaced by the objects. */
    private readonly imageGoal: string,
    private readonly objects: readonly string[],
  ) {}

  get info() {
    return this.inner.info;
  }

  paths(ws: Workspace): RuntimePaths {
    return this.inner.paths(ws);
  }

  private builds(argv: readonly string[]): boolean {
    return argv[0] === 'make' && argv[argv.length - 1] === this.imageGoal;
  }

  rewrite(argv: readonly string[]): string[] {
    return this.builds(argv) ? [...argv.slice(0, -1), ...this.objects] : [...argv];
  }

  async run(ws: Workspace, cmd: RunCommand): Promise<RunOutcome> {
    const argv = this.rewrite(cmd.argv);
    if (this.builds(cmd.argv) && cmd.logFile)
      await appendFile(cmd.logFile, `# kmatrix triage builds only: ${shellJoin(argv)}\n`);
    return this.inner.run(ws, { ...cmd, argv });
  }

  reproduce(ws: Workspace, cmd: Pick<RunCommand, 'argv' | 'env'>): string {
    return this.inner.reproduce(ws, { ...cmd, argv: this.rewrite(cmd.argv) });
  }
}
