// Running kmatrix in the fault suite: main() in-process with an in-memory io (fast, most
// cases), or the built binary as a user runs it (a few cases, to prove they agree).
import { readdir, lstat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { execa } from 'execa';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** main(argv) in this process, with its own stdout/stderr and environment. */
export async function runInProcess(
  argv: readonly string[],
  o: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const started = Date.now();
  const code = await main(argv, { stdout, stderr, env: o.env ?? process.env, cwd: o.cwd });
  return { code, stdout: stdout.text, stderr: stderr.text, ms: Date.now() - started };
}

export const CLI = resolve('bin/kmatrix.js');

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
