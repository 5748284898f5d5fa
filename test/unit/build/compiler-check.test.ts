// A build checks its compiler (`cc --version`) once per runtime: a bisect or a triage makes
// many builds with one runtime, and in docker each check is a container of its own. Real
// host cross compiler (local runtime); the trees have no Makefile, so make fails after it.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findArch } from '../../../src/arch/arches.js';
import { runBuild } from '../../../src/build/run.js';
import type { ConfigRequest } from '../../../src/config/generate.js';
import { execaRunner } from '../../../src/process/runner.js';
import { LocalRuntime } from '../../../src/runtime/local.js';
import type { RunCommand, RunOutcome, Runtime, Workspace } from '../../../src/runtime/runtime.js';
import { configWritten } from '../../helpers/results.js';
import { testDir } from '../../helpers/tmp.js';

/** The local runtime, recording each command; `failVersion` fails that many version checks. */
class Recorded implements Runtime {
  readonly argvs: string[][] = [];
  private readonly inner = new LocalRuntime(execaRunner, process.env);
  readonly info = this.inner.info;
  constructor(private failVersion = 0) {}
  paths(ws: Workspace) {
    return this.inner.paths(ws);
  }
  reproduce(ws: Workspace, cmd: Pick<RunCommand, 'argv' | 'env'>): string {
    return this.inner.reproduce(ws, cmd);
  }
  async run(ws: Workspace, cmd: RunCommand): Promise<RunOutcome> {
    this.argvs.push([...cmd.argv]);
    if (cmd.argv[1] === '--version' && this.failVersion > 0) {
      this.failVersion--;
      return { kind: 'fail', durationMs: 1, output: 'cc: cannot execute\n', exitCode: 126 };
    }
    return this.inner.run(ws, cmd);
  }
  get versionChecks(): number {
    return this.argvs.filter((a) => a[1] === '--version').length;
  }
}

const configIn = (req: ConfigRequest) => configWritten(req, 'CONFIG_ARM=y\n', { commands: [] });

async function build(runtime: Runtime, dir: string, name: string) {
  const src = join(dir, 'src');
  await mkdir(src, { recursive: true });
  const result = await runBuild(
    {
      tree: {
        spec: { kind: 'path', path: src },
        path: src,
        version: '6.1.0',
        label: 'l',
        cacheKey: 'k',
      },
      arch: findArch('armel')!,
      toolchain: 'gcc',
      base: { kind: 'tinyconfig' },
      pins: [],
      outDir: join(dir, name),
      targets: ['kernel'],
      jobs: 1,
      allowUnsatisfied: false,
    },
    { runtime, generateConfig: configIn, emit: () => {} },
  );
  return { result, log: await readFile(result.files.log, 'utf8') };
}

describe('the compiler check', () => {
  it('runs once per runtime; later builds record the version it gave', async () => {
    const dir = testDir('compiler-check');
    const rt = new Recorded();
    const first = await build(rt, dir, 'a');
    const second = await build(rt, dir, 'b');
    expect(rt.versionChecks).toBe(1);
    expect(first.result.toolchain.version).toMatch(/^arm-linux-gnueabi-gcc .*\d+\.\d+/);
    expect(second.result.toolchain.version).toBe(first.result.toolchain.version);
    expect(first.log).toContain('$ arm-linux-gnueabi-gcc --version\n');
    expect(second.log).toContain(
      `# arm-linux-gnueabi-gcc --version, checked earlier:\n${first.result.toolchain.version}\n`,
    );
    // make ran in both (and failed: there is no Makefile)
    expect(rt.argvs.filter((a) => a[0] === 'make')).toHaveLength(2);
    // another runtime checks for itself
    const other = new Recorded();
    await build(other, dir, 'c');
    expect(other.versionChecks).toBe(1);
  });

  it('does not remember a check that failed: the next build checks again', async () => {
    const dir = testDir('compiler-check');
    const rt = new Recorded(1);
    const first = await build(rt, dir, 'a');
    expect(first.result.status).toBe('infra-error');
    expect(first.result.reason).toMatch(/arm-linux-gnueabi-gcc --version` exited with 126/);
    const second = await build(rt, dir, 'b');
    expect(rt.versionChecks).toBe(2);
    expect(second.result.toolchain.version).toMatch(/^arm-linux-gnueabi-gcc /);
  });
});
