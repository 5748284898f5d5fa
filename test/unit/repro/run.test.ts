// runRepro with a fake runtime and config step: where the config is found (beside the report,
// gzipped), the make lines from a saved `reproduce` file, what reaches make, result.json
// showing the line that ran, and cannot-run without touching any runtime.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configWritten } from '../../helpers/results.js';
import { testDir } from '../../helpers/tmp.js';
import type { ConfigRequest } from '../../../src/config/generate.js';
import { runRepro, type ReproDeps } from '../../../src/repro/run.js';
import type { RunCommand, Runtime, Workspace } from '../../../src/runtime/runtime.js';

const CONFIG = 'CONFIG_ARM=y\nCONFIG_KEXEC=y\n';
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/reports', name), 'utf8');

function fakeRuntime(output: string): Runtime & { argvs: string[][] } {
  const argvs: string[][] = [];
  return {
    argvs,
    info: { kind: 'local' },
    paths: (ws: Workspace) => ws,
    async run(_ws, cmd: RunCommand) {
      argvs.push([...cmd.argv]);
      if (cmd.capture)
        return {
          kind: 'pass',
          durationMs: 1,
          output: 'arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0\n',
        };
      if (cmd.logFile) await writeFile(cmd.logFile, output, { flag: 'a' });
      return { kind: 'fail', durationMs: 1, output, exitCode: 2 };
    },
    reproduce: (_ws, cmd) => cmd.argv.join(' '),
  };
}

function deps(runtime: Runtime): ReproDeps {
  return {
    selectRuntime: async () => ({ runtime, note: 'runtime: fake' }),
    resolveSource: async (spec) => ({
      spec,
      path: '/src/linux',
      version: '6.1.0',
      label: 'linux',
      cacheKey: 'x',
    }),
    generateConfig: (req: ConfigRequest) =>
      configWritten(req, CONFIG, { base: 'file', pins: [], commands: ['make olddefconfig'] }),
    kconfigModel: async () => {
      throw new Error('no Kconfig model in these tests');
    },
    commitInRepo: async () => 'present',
    emit: () => {},
  };
}

describe('runRepro', () => {
  it('finds a gzipped config beside the report, builds the report goal with W=1 and judges', async () => {
    const dir = testDir('repro-unit');
    await writeFile(join(dir, 'report.txt'), fixture('2022-gcc-arm-make-cross-dir.txt'));
    await writeFile(join(dir, 'arm-randconfig-001-20221120'), gzipSync(CONFIG));
    const out = join(dir, 'out');
    const rt = fakeRuntime(
      "/src/linux/kernel/crash_core.c:127:5: error: 'foo' undeclared (first use in this function)\n",
    );
    const r = await runRepro(
      {
        reportText: await readFile(join(dir, 'report.txt'), 'utf8'),
        reportPath: join(dir, 'report.txt'),
        repo: '/git/linux',
        outDir: () => out,
        jobs: 2,
      },
      deps(rt),
    );
    expect(r.verdict).toBe('reproduced');
    expect(r.plan.source).toBe('git:/git/linux@2b7ccb3f0ad3b1a2c4d6e8f0a1b3c5d7e9f1a2b4');
    expect(r.plan.config).toMatch(/kmatrix-repro-config-.*\/config$/);
    expect(rt.argvs.at(-1)).toEqual([
      'make',
      '-C',
      '/src/linux',
      `O=${out}`,
      'ARCH=arm',
      'CROSS_COMPILE=arm-linux-gnueabi-',
      '-j2',
      '-k',
      'W=1',
      'kernel/',
    ]);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8'));
    expect(result.targets).toMatchObject([
      { target: 'kernel', goal: 'kernel/', command: expect.stringMatching(/ -k W=1 kernel\/$/) },
    ]);
    expect(r.outcomes[0]).toMatchObject({ found: true, match: { line: 127 } });
    expect(JSON.parse(await readFile(join(out, 'repro.json'), 'utf8')).verdict).toBe('reproduced');
  });

  it('reads make lines from a saved reproduce file beside a recent report', async () => {
    const dir = testDir('repro-unit');
    await writeFile(join(dir, 'report.txt'), fixture('2025-clang19-arm64-quoted-warnings.txt'));
    await writeFile(join(dir, 'config'), CONFIG);
    await writeFile(
      join(dir, 'reproduce'),
      'mkdir build_dir && cp config build_dir/.config\nCOMPILER_INSTALL_PATH=$HOME/0day COMPILER=clang-19 ~/bin/make.cross W=1 O=build_dir ARCH=arm64 SHELL=/bin/bash kernel/\n',
    );
    const out = join(dir, 'out');
    const rt = fakeRuntime('');
    const r = await runRepro(
      {
        reportText: await readFile(join(dir, 'report.txt'), 'utf8'),
        reportPath: join(dir, 'report.txt'),
        source: '/src/linux',
        outDir: () => out,
        jobs: 1,
      },
      deps(rt),
    );
    expect(r.plan.notes[0]).toBe(`make lines read from ${join(dir, 'reproduce')}`);
    expect(r.plan.goals).toEqual(['kernel/']);
    expect(r.plan.toolchain).toBe('clang');
    expect(r.verdict).toBe('not-reproduced');
    expect(r.build?.status).toBe('fail');
  });

  it('cannot run without config and source, and asks no runtime', async () => {
    const boom = async (): Promise<never> => {
      throw new Error('must not be called');
    };
    const r = await runRepro(
      {
        reportText: fixture('2023-gcc13-x86-w1-closes.txt'),
        outDir: () => '/nonexistent',
        jobs: 1,
      },
      { ...deps(fakeRuntime('')), selectRuntime: boom, resolveSource: boom },
    );
    expect(r.verdict).toBe('cannot-run');
    expect(r.missing).toHaveLength(2);
    expect(r.missing[1]).toMatch(
      /^config: download https:\/\/download\.01\.org\/.* and save it and pass --config FILE$/,
    );
    expect(r.build).toBeNull();
  });

  it('says when --config is not a kernel config', async () => {
    const dir = testDir('repro-unit');
    await writeFile(join(dir, 'notconfig'), 'hello\n');
    const r = await runRepro(
      {
        reportText: fixture('2022-gcc-arm-make-cross-dir.txt'),
        configPath: join(dir, 'notconfig'),
        source: '/src/linux',
        outDir: () => '/nonexistent',
        jobs: 1,
      },
      deps(fakeRuntime('')),
    );
    expect(r.missing).toEqual([
      `config: ${join(dir, 'notconfig')} is not a kernel .config (no CONFIG_...= lines)`,
    ]);
  });
});
