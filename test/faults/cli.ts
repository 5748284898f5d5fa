// Running kmatrix in the fault suite: main() in-process (test/helpers/cli.ts) or the built
// binary with stdin bytes, timed; and snapshots of a directory to see what a command wrote.
import { readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI, runMain } from '../helpers/cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** main(argv) in this process, with its own stdout/stderr and environment. */
export async function runInProcess(
  argv: readonly string[],
  o: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliRun> {
  const started = Date.now();
  const r = await runMain(argv, { cwd: o.cwd, env: o.env ?? process.env });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

/** The built CLI (npm run build first), as a user runs it. */
export async function runBinary(
  argv: readonly string[],
  o: { cwd: string; env?: NodeJS.ProcessEnv; input?: string | Buffer },
): Promise<CliRun> {
  const started = Date.now();
  const r = await execa(process.execPath, [CLI, ...argv], {
    cwd: o.cwd,
    env: o.env ?? process.env,
    reject: false,
    ...(o.input !== undefined ? { input: o.input } : { stdin: 'ignore' }),
    stripFinalNewline: false,
    timeout: 120_000,
  });
  return {
    code: r.exitCode ?? -1,
    stdout: String(r.stdout),
    stderr: String(r.stderr),
    ms: Date.now() - started,
  };
}

/** Every path under dir (relative) with its size and mtime: what a command wrote shows up. */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(join(dir, rel))) {
      const p = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(dir, p));
      out.set(p, `${st.size}:${st.mtimeMs}`);
      if (st.isDirectory()) await walk(p);
    }
  };
  await walk('');
  return out;
}

/** Paths new or changed in `after`. */
export function written(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([p, v]) => before.get(p) !== v).map(([p]) => p);
}

/** A line that looks like a JavaScript stack frame. */
export const STACK_FRAME = /^\s+at \S.*(:\d+:\d+\)?|\(native\))$/m;
