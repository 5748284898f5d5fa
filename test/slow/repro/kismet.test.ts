// A Kconfig report reproduced without a build, on a real tree: Debian 6.1's Kconfig inputs as
// a git history where one commit plants `select KEXEC` in arm's CRASH_DUMP (KEXEC depends on
// MMU and on !SMP || PM_SLEEP_SMP) and the next reverts it. `kmatrix config` records conf's
// unmet-dependency warning as a diagnostic; a kismet-style report about it is reproduced by
// conf alone (with the config beside it, or the smallest config kmatrix makes) and is not
// reproduced on the revert; a --repo without the report's commit names the remote; two
// nightly runs before and after the select tell the new unmet dependency from an old one.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHistory, git, replaceIn } from '../../helpers/history.js';
import { treePath } from '../../helpers/trees.js';

const CLI = resolve('bin/kmatrix.js');
const CRASH_DUMP = 'config CRASH_DUMP\n\tbool "Build kdump crash kernel (EXPERIMENTAL)"\n';
const UNMET = 'unmet direct dependencies detected for KEXEC (selected by CRASH_DUMP)';
const FINGERPRINT =
  'kconfig:warning:unmet-direct-dependencies-detected-for-kexec-selected-by-crash_dump';

let work: string;
let repo: string;
let base: string;
let planted: string;
let reverted: string;
/** arch/arm/Kconfig lines at the planted commit: config KEXEC, config CRASH_DUMP, its select. */
const at = { kexec: 0, crashDump: 0, select: 0 };

function kmatrix(args: string[]) {
  return execa(process.execPath, [CLI, ...args], { cwd: work, reject: false });
}

/** A kismet report in the robot's 2020-2022 layout (tree/head/commit, no compiler line). */
function report(commit: string): string {
  return `Hi,

First bad commit (maybe != root cause):

tree:   https://git.kernel.org/pub/scm/linux/kernel/git/test/linux.git master
head:   ${commit}
commit: ${commit} [1/1] arm: CRASH_DUMP selects KEXEC
date:   2 hours ago
config: arm-kismet-CONFIG_KEXEC-CONFIG_CRASH_DUMP-0-0 (https://download.01.org/0day-ci/archive/20240102/202401020304.kIsMeT42-lkp@intel.com/config)
reproduce: (https://download.01.org/0day-ci/archive/20240102/202401020304.kIsMeT42-lkp@intel.com/reproduce)

If you fix the issue in a separate patch/commit (i.e. not just a new version of
the same patch/commit), kindly add following tags
| Reported-by: kernel test robot <lkp@intel.com>
| Closes: https://lore.kernel.org/oe-kbuild-all/202401020304.kIsMeT42-lkp@intel.com/

kismet warnings: (new ones prefixed by >>)
>> kismet: WARNING: unmet direct dependencies detected for KEXEC when selected by CRASH_DUMP
   WARNING: unmet direct dependencies detected for KEXEC
     Depends on [n]: (!SMP [=n] || PM_SLEEP_SMP [=n]) && MMU [=n]
     Selected by [y]:
     - CRASH_DUMP [=y]

-- 
0-DAY CI Kernel Test Service
https://github.com/intel/lkp-tests/wiki
`;
}

async function saveReport(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return join(dir, 'report.txt');
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-repro-kismet-'));
  repo = join(work, 'linux');
  const h = await createHistory({
    tree: treePath('6.1'),
    dir: repo,
    subset: true,
    commits: [
      {
        message: 'arm: CRASH_DUMP selects KEXEC',
        edits: replaceIn('arch/arm/Kconfig', CRASH_DUMP, `${CRASH_DUMP}\tselect KEXEC\n`),
      },
      {
        message: 'Revert "arm: CRASH_DUMP selects KEXEC"',
        edits: replaceIn('arch/arm/Kconfig', `${CRASH_DUMP}\tselect KEXEC\n`, CRASH_DUMP),
      },
    ],
  });
  [base, planted, reverted] = h.shas as [string, string, string];
  const lines = (await git(repo, ['show', `${planted}:arch/arm/Kconfig`])).stdout.split('\n');
  at.kexec = lines.indexOf('config KEXEC') + 1;
  at.crashDump = lines.indexOf('config CRASH_DUMP') + 1;
  at.select = at.crashDump + 2;
  expect(lines[at.select - 1]).toBe('\tselect KEXEC');
});

describe('Kconfig reports without a build (6.1 arm, a planted select)', () => {
  it('kmatrix config records the unmet dependency as a kconfig diagnostic', async () => {
    const r = await kmatrix([
      'config',
      '--source',
      `git:${repo}@${planted}`,
      '--arch',
      'armel',
      '--base',
      'allnoconfig',
      '--set',
      'CRASH_DUMP=y',
      '--out',
      'cfg',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const unmet = { kind: 'kconfig', severity: 'warning', file: '', message: UNMET };
    expect(j.diagnostics).toEqual([{ ...unmet, fingerprint: FINGERPRINT }]);
    const saved = JSON.parse(await readFile(join(work, 'cfg/kmatrix-config.json'), 'utf8'));
    expect(saved.diagnostics).toEqual(j.diagnostics);
  });

  it('reproduces a kismet report with the config beside it, by conf alone, and explains it', async () => {
    const path = await saveReport('with-config', {
      'report.txt': report(planted),
      config: await readFile(join(work, 'cfg/.config'), 'utf8'),
    });
    const r = await kmatrix(['repro', path, '--repo', repo, '--out', 'out-planted', '--json']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      verdict: 'reproduced',
      plan: { stage: 'config', arch: 'armel', source: `git:${repo}@${planted}` },
      build: null,
      config: { base: 'report config', outDir: join(work, 'out-planted') },
    });
    expect(j.outcomes).toEqual([
      expect.objectContaining({ found: true, issue: expect.objectContaining({ message: UNMET }) }),
    ]);
    expect(j.config.commands).toEqual([expect.stringMatching(/ ARCH=arm .*olddefconfig$/)]);
    expect(j.explanations[0].text.split('\n').slice(0, 5)).toEqual([
      `KEXEC=y: selected although its direct dependencies are unmet  [arch/arm/Kconfig:${at.kexec}]`,
      `  selected by CRASH_DUMP=y  [arch/arm/Kconfig:${at.select}]`,
      `    CRASH_DUMP=y: set in .config  [arch/arm/Kconfig:${at.crashDump}]`,
      `  KEXEC=y: depends on !SMP || PM_SLEEP_SMP [y] && MMU [n]  [arch/arm/Kconfig:${at.kexec}]`,
      expect.stringMatching(/^ {4}MMU=n: set in \.config {2}\[arch\/arm\/Kconfig:\d+\]$/),
    ]);
    // nothing was built: the result dir holds conf's output and repro.json only
    expect(await readFile(join(work, 'out-planted/repro.json'), 'utf8')).toContain('"reproduced"');
    expect(await readFile(join(work, 'out-planted/kconfig.log'), 'utf8')).toContain(
      'WARNING: unmet direct dependencies detected for KEXEC',
    );
  });

  it('does not reproduce it once the select is reverted', async () => {
    const path = join(work, 'with-config/report.txt');
    const r = await kmatrix(['repro', path, '--source', `git:${repo}@${reverted}`, '--json']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.verdict).toBe('not-reproduced');
    expect(j.outcomes.map((o: { found: boolean }) => o.found)).toEqual([false]);
    expect(j.plan.notes).toContain('CRASH_DUMP does not select KEXEC in this tree');
    expect(j.explanations[0].text.split('\n')[0]).toBe(
      `KEXEC=n: no active select forces it  [arch/arm/Kconfig:${at.kexec}]`,
    );
  });

  it('makes the smallest config for the kismet pair when the report came without one', async () => {
    const path = await saveReport('no-config', { 'report.txt': report(planted) });
    const r = await kmatrix(['repro', path, '--repo', repo, '--out', 'out-kismet']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^REPRODUCED {2}arm-kismet-CONFIG_KEXEC-CONFIG_CRASH_DUMP-0-0/);
    expect(r.stdout).toContain(
      '  config: allnoconfig + CRASH_DUMP=y MMU=n (the smallest config for the kismet pair)',
    );
    expect(r.stdout).toContain(`  found   kconfig: warning: ${UNMET}`);
    const j = JSON.parse(await readFile(join(work, 'out-kismet/repro.json'), 'utf8'));
    expect(j.config.pins.map((p: { status: string }) => p.status)).toEqual(['holds', 'holds']);
  });

  it('names the remote a patch report wanted when --repo lacks its commit', async () => {
    const missing = 'c0ffee0123456789abcdef0123456789abcdef01';
    const path = await saveReport('patch', {
      'report.txt': report(planted).replace(/^(head|commit):.*\n/gm, ''),
      reproduce: [
        'git remote add linux-review https://github.com/intel-lab-lkp/linux',
        'git fetch --no-tags linux-review Dev/crash-select-kexec/20240102-000000',
        `git checkout ${missing}`,
        'kismet --linux-ksrc=linux --selectees CONFIG_KEXEC --selectors CONFIG_CRASH_DUMP -a=arm',
        '',
      ].join('\n'),
    });
    const r = await kmatrix(['repro', path, '--repo', repo, '--json']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(2);
    expect(JSON.parse(r.stdout).missing).toEqual([
      `source: commit c0ffee012345 is not in --repo ${repo}; the report fetched it from https://github.com/intel-lab-lkp/linux (Dev/crash-select-kexec/20240102-000000): git -C ${repo} fetch https://github.com/intel-lab-lkp/linux Dev/crash-select-kexec/20240102-000000`,
    ]);
  });

  it('kmatrix run shows the unmet dependency as a new warning once, then as nothing new', async () => {
    const dir = join(work, 'nightly');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'matrix.yaml'),
      `name: kismet-nightly
sources: ["git:${repo}@main"]
architectures: [armel]
configs:
  - name: crash-dump
    base: allnoconfig
    pins: [CRASH_DUMP=y]
    build: false
`,
    );
    const nightly = async (sha: string) => {
      await git(repo, ['update-ref', 'refs/heads/main', sha]);
      const r = await execa(
        process.execPath,
        [CLI, 'run', 'matrix.yaml', '--json', '--results', 'res'],
        { cwd: dir, reject: false },
      );
      expect(r.exitCode, r.stderr).toBe(0);
      const [cell] = JSON.parse(r.stdout).cells as {
        status: string;
        change: string;
        newWarnings: string[];
        diagnostics: { fingerprint: string }[];
      }[];
      return cell!;
    };
    const before = await nightly(base);
    expect(before).toMatchObject({ status: 'pass', diagnostics: [] });
    const after = await nightly(planted);
    expect(after).toMatchObject({
      status: 'pass',
      change: 'new-warning',
      newWarnings: [FINGERPRINT],
    });
    const again = await nightly(planted);
    expect(again).toMatchObject({ change: 'ok', newWarnings: [] });
    expect(again.diagnostics.map((d) => d.fingerprint)).toEqual([FINGERPRINT]);
  });
});
