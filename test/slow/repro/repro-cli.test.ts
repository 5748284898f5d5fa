// `kmatrix repro` as a developer runs it, on a real tree: a hardlink copy of Debian's 6.1 with
// one file of the arm tinyconfig build replaced by a broken copy, the .config made by
// `kmatrix config`, and robot reports (2022 make.cross format) describing the break. A report
// with an extra error that does not happen is partially reproduced; a hostile report gets
// nothing executed.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { kmatrix } from '../../helpers/cli.js';
import { treePath } from '../../helpers/trees.js';
import { requireDaemon } from '../runtime/docker-helpers.js';

const FIXTURES = resolve('test/fixtures/reports');
let work: string;
let tree: string;
let config: string;
let plantedLine: number;

function report(errors: string[]): string {
  return `Hi Dev,

kernel test robot noticed the following build errors:

tree:   https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git master
head:   489fa31ea873282b41046d412ec741f93946fc2d
commit: 2b7ccb3f0ad3b1a2c4d6e8f0a1b3c5d7e9f1a2b4 [12/57] panic: add kmatrix_repro_planted
config: arm-tinyconfig-20240101 (https://download.01.org/0day-ci/archive/20240101/202401011234.abcdEFGh-lkp@intel.com/config)
compiler: arm-linux-gnueabi-gcc (GCC) 13.2.0
reproduce (this is a W=1 build):
        wget https://raw.githubusercontent.com/intel/lkp-tests/master/sbin/make.cross -O ~/bin/make.cross
        chmod +x ~/bin/make.cross
        git checkout 2b7ccb3f0ad3b1a2c4d6e8f0a1b3c5d7e9f1a2b4
        # save the config file
        mkdir build_dir && cp config build_dir/.config
        COMPILER_INSTALL_PATH=$HOME/0day COMPILER=gcc-13.2.0 make.cross W=1 O=build_dir ARCH=arm olddefconfig
        COMPILER_INSTALL_PATH=$HOME/0day COMPILER=gcc-13.2.0 make.cross W=1 O=build_dir ARCH=arm SHELL=/bin/bash kernel/

If you fix the issue in a separate patch/commit (i.e. not just a new version of
the same patch/commit), kindly add following tags
| Reported-by: kernel test robot <lkp@intel.com>
| Closes: https://lore.kernel.org/oe-kbuild-all/202401011234.abcdEFGh-lkp@intel.com/

All errors (new ones prefixed by >>):

   kernel/panic.c: In function 'kmatrix_repro_planted':
${errors.join('\n')}

--
0-DAY CI Kernel Test Service
https://github.com/intel/lkp-tests/wiki
`;
}

/** A directory holding a report and the config beside it, as a developer would save them. */
async function saveReport(name: string, text: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'report.txt'), text);
  await cp(config, join(dir, 'config'));
  return join(dir, 'report.txt');
}

beforeAll(async () => {
  await requireDaemon();
  work = await mkdtemp(join(tmpdir(), 'kmatrix-repro-cli-'));
  tree = join(work, 'linux');
  await execa('cp', ['-al', treePath('6.1'), tree]);
  // Replace, never edit: the copy's files are hardlinks into the shared tree.
  const panic = join(tree, 'kernel/panic.c');
  const text = await readFile(panic, 'utf8');
  await rm(panic);
  const planted = `${text}\nint kmatrix_repro_planted(void)\n{\n\treturn kmatrix_undeclared_thing;\n}\n`;
  await writeFile(panic, planted);
  plantedLine = planted.split('\n').indexOf('\treturn kmatrix_undeclared_thing;') + 1;
  expect(await readFile(join(treePath('6.1'), 'kernel/panic.c'), 'utf8')).toBe(text);

  const cfg = await kmatrix(work, [
    'config',
    '--source',
    tree,
    '--arch',
    'armel',
    '--base',
    'tinyconfig',
    '--out',
    'tinyconfig',
  ]);
  expect(cfg.exitCode, cfg.stderr).toBe(0);
  config = join(work, 'tinyconfig/.config');
});

describe('kmatrix repro (end to end, 6.1 arm tinyconfig)', () => {
  const planted = () =>
    `>> kernel/panic.c:${plantedLine}:16: error: 'kmatrix_undeclared_thing' undeclared (first use in this function)\n     ${plantedLine} |         return kmatrix_undeclared_thing;\n         |                ^~~~~~~~~~~~~~~~~~~~~~~~`;

  it('reproduces the reported error: exit 0, W=1 kernel/ build, reproducer.sh in the result dir', async () => {
    const path = await saveReport('ok', report([planted()]));
    const r = await kmatrix(work, [
      'repro',
      path,
      '--source',
      tree,
      '--runtime',
      'docker',
      '--out',
      'out-ok',
      '-j2',
      '--json',
    ]);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      schema: 'kmatrix.repro/1',
      verdict: 'reproduced',
      plan: {
        arch: 'armel',
        toolchain: 'gcc',
        toolchainNote: 'report used gcc-13.2.0, using gcc 12.2.0 (nearest available)',
        config: join(work, 'ok/config'),
        makeVars: ['W=1'],
        goals: ['kernel/'],
      },
      build: { status: 'fail', outDir: join(work, 'out-ok') },
    });
    expect(j.outcomes).toHaveLength(1);
    expect(j.outcomes[0]).toMatchObject({
      found: true,
      match: { file: 'kernel/panic.c', line: plantedLine, column: 16 },
    });
    expect(j.build.compiler).toMatch(/^arm-linux-gnueabi-gcc \(Debian 12\.2\.0/);
    expect(j.build.commands).toEqual([
      'make -C /src O=/out ARCH=arm CROSS_COMPILE=arm-linux-gnueabi- -j2 -k W=1 kernel/',
    ]);
    // the reproducer runs the same make line, and result.json says what really ran
    const repro = await readFile(j.build.reproducer, 'utf8');
    expect(j.build.reproducer).toBe(join(work, 'out-ok/reproducer.sh'));
    expect(repro).toContain('-j2 -k W=1 kernel/');
    const result = JSON.parse(await readFile(join(work, 'out-ok/result.json'), 'utf8'));
    expect(result.targets[0]).toMatchObject({ goal: 'kernel/', status: 'fail' });
    // W=1 was in effect: kernel-doc/prototype warnings only W=1 shows
    expect(
      result.diagnostics.some((d: { message: string }) => /no previous prototype/.test(d.message)),
    ).toBe(true);
    expect(JSON.parse(await readFile(join(work, 'out-ok/repro.json'), 'utf8')).verdict).toBe(
      'reproduced',
    );
  });

  it('says partially reproduced (exit 1) and which error is absent, reading the report from stdin', async () => {
    const text = report([
      planted(),
      `>> kernel/fork.c:1200:9: error: implicit declaration of function 'kmatrix_not_there' [-Werror=implicit-function-declaration]`,
    ]);
    const r = await kmatrix(
      work,
      [
        'repro',
        '-',
        '--config',
        config,
        '--source',
        tree,
        '--runtime',
        'docker',
        '--out',
        'out-partial',
        '-j2',
      ],
      { input: text },
    );
    expect(r.exitCode, r.stderr + r.stdout).toBe(1);
    expect(r.stdout).toMatch(/^PARTIALLY REPRODUCED {2}arm-tinyconfig-20240101 \(armel, gcc\)/);
    expect(r.stdout).toContain(
      `found   kernel/panic.c:${plantedLine}:16: error: 'kmatrix_undeclared_thing' undeclared`,
    );
    expect(r.stdout).toContain(
      "absent  kernel/fork.c:1200:9: error: implicit declaration of function 'kmatrix_not_there'",
    );
    expect(r.stdout).toContain(`reproducer: ${join(work, 'out-partial/reproducer.sh')}`);
  });

  it('cannot run without the config and says what to download and where (exit 2)', async () => {
    const dir = join(work, 'noconfig');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'report.txt'), report([planted()]));
    const r = await kmatrix(work, ['repro', join(dir, 'report.txt'), '--source', tree, '--json']);
    expect(r.exitCode, r.stderr).toBe(2);
    const j = JSON.parse(r.stdout);
    expect(j.verdict).toBe('cannot-run');
    expect(j.missing).toEqual([
      `config: download https://download.01.org/0day-ci/archive/20240101/202401011234.abcdEFGh-lkp@intel.com/config and save it as ${dir}/config (beside the report) or pass --config FILE`,
    ]);
    expect(j.build).toBeNull();
  });

  it('never executes anything from a hostile report: shell syntax in its make line means it cannot run, every bad value named', async () => {
    const marker = join(work, 'pwned');
    const hostile = (await readFile(join(FIXTURES, 'hostile-metachars.txt'), 'utf8')).replaceAll(
      '/tmp/pwned',
      marker,
    );
    const path = await saveReport('hostile', hostile);
    const r = await kmatrix(work, [
      'repro',
      path,
      '--source',
      tree,
      '--runtime',
      'docker',
      '--out',
      'out-hostile',
      '-j2',
      '--json',
    ]);
    await expect(access(marker)).rejects.toThrow();
    expect(r.exitCode, r.stderr + r.stdout).toBe(2);
    const j = JSON.parse(r.stdout);
    expect(j.verdict).toBe('cannot-run');
    expect(j.missing).toHaveLength(1);
    expect(j.missing[0]).toMatch(/^make line 1 of the report carries shell syntax "\$\("/);
    expect(j.build).toBeNull();
    expect(j.plan.makeVars).toEqual([]);
    expect(j.plan.goals).toEqual(['kernel/']);
    const act = Object.fromEntries(
      j.plan.makeVarDecisions.map((d: { name: string; action: string }) => [d.name, d.action]),
    );
    expect(act).toMatchObject({ W: 'reject', KCFLAGS: 'reject', LLVM_IAS: 'reject', CC: 'ignore' });
    await expect(access(join(work, 'out-hostile', 'reproducer.sh'))).rejects.toThrow();
    // the text rendering shows the rejections and runs nothing either
    const t = await kmatrix(work, [
      'repro',
      path,
      '--source',
      tree,
      '--config',
      join(work, 'nope'),
    ]);
    expect(t.exitCode).toBe(2);
    expect(t.stdout).toContain('CANNOT RUN');
    expect(t.stdout).toContain(`rejected W=1$(shell touch ${marker})`);
    await expect(access(marker)).rejects.toThrow();
  });
});
