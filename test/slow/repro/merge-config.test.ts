// Reports of a pin that stopped holding, reproduced by conf alone on a real tree: Debian 6.1's
// Kconfig inputs as a git history where one commit makes arm64's CRASH_DUMP select KEXEC (a
// KEXEC=n pin stops holding, as in the triage e2e history) and the next reverts it. kmatrix's
// own triage report of the pin (the writer's text, the .config beside it) and a user's mail
// carrying the output of the tree's own scripts/kconfig/merge_config.sh are read back by
// `kmatrix repro`: reproduced at the select, with the model's chain; not on the revert.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findArch } from '../../../src/arch/arches.js';
import { mailConfigName, renderTriageMail } from '../../../src/report/triage-mail.js';
import { kmatrix } from '../../helpers/cli.js';
import { createHistory, git, replaceIn } from '../../helpers/history.js';
import { kexecPinRecord } from '../../helpers/results.js';
import { treePath } from '../../helpers/trees.js';

const CRASH_DUMP = 'config CRASH_DUMP\n\tbool "Build kdump crash kernel"';
const SELECT = `${CRASH_DUMP}\n\tselect KEXEC`;
const MESSAGE = 'requested CONFIG_KEXEC=n not in final .config (actual: CONFIG_KEXEC=y)';

let work: string;
let repo: string;
let planted: string;
let reverted: string;
/** arch/arm64/Kconfig at the planted commit: the line of `select KEXEC`. */
let selectLine = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-repro-merge-config-'));
  repo = join(work, 'linux');
  const h = await createHistory({
    tree: treePath('6.1'),
    dir: repo,
    subset: true,
    commits: [
      {
        message: 'arm64: kexec: CRASH_DUMP selects KEXEC',
        edits: replaceIn('arch/arm64/Kconfig', CRASH_DUMP, SELECT),
      },
      {
        message: 'Revert "arm64: kexec: CRASH_DUMP selects KEXEC"',
        edits: replaceIn('arch/arm64/Kconfig', SELECT, CRASH_DUMP),
      },
    ],
  });
  [, planted, reverted] = h.shas as [string, string, string];
  const lines = (await git(repo, ['show', `${planted}:arch/arm64/Kconfig`])).stdout.split('\n');
  selectLine = lines.indexOf('\tselect KEXEC', lines.indexOf('config CRASH_DUMP')) + 1;
  expect(selectLine).toBeGreaterThan(0);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

interface PinCell {
  config: string;
  pins: {
    symbol: string;
    requested: string;
    effective: string;
    status: 'holds' | 'overridden' | 'dropped' | 'unavailable';
  }[];
}
let made: Promise<PinCell> | undefined;

/**
 * The pin cell as the triage stage sees it: allnoconfig + CRASH_DUMP=y KEXEC=n on arm64
 * (the Kconfig subset has no kernel/configs/ for tinyconfig).
 */
function pinCell(): Promise<PinCell> {
  made ??= makePinCell();
  return made;
}

async function makePinCell(): Promise<PinCell> {
  const r = await kmatrix(work, [
    'config',
    '--source',
    `git:${repo}@${planted}`,
    '--arch',
    'arm64',
    '--base',
    'allnoconfig',
    '--set',
    'CRASH_DUMP=y',
    '--set',
    'KEXEC=n',
    '--out',
    'cell',
    '--json',
  ]);
  expect(r.exitCode, r.stderr).toBe(1);
  const j = JSON.parse(r.stdout);
  expect(j.verdict).toBe('unsatisfied');
  return { config: await readFile(join(work, 'cell/.config'), 'utf8'), pins: j.pins };
}

describe('pin reports round-trip through kmatrix repro (6.1 arm64, a planted select)', () => {
  it("reproduces kmatrix's own pin report at the select, not on the revert", async () => {
    const cell = await pinCell();
    const arm64 = findArch('arm64')!;
    const configName = mailConfigName(arm64, 'kexec-pin', '9e1f00aa11bb');
    const failing = cell.pins.filter((p) => p.status !== 'holds');
    expect(failing.map((p) => `${p.symbol}=${p.effective}:${p.status}`)).toEqual([
      'KEXEC=y:overridden',
    ]);
    const mail = renderTriageMail({
      runId: '20240103-000000-abcd',
      n: 2,
      cell: {
        id: '9e1f00aa11bb',
        source: `git:${repo}@master`,
        variant: 'kexec-pin',
        toolchain: 'gcc',
        base: { kind: 'allnoconfig' },
        pins: [],
        build: false,
      },
      arch: arm64,
      record: kexecPinRecord(planted, 'kmatrix test'),
      diagnostics: [],
      why: { pins: failing.map((p) => ({ ...p, explanation: null })), errors: [], note: null },
      repo,
      ref: 'master',
      head: planted,
      configName,
      compiler: 'aarch64-linux-gnu-gcc (config only: the cell was not built)',
    });
    const dir = join(work, 'reports');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '2.txt'), mail);
    await writeFile(join(dir, `${configName}.config`), cell.config);

    const r = await kmatrix(work, [
      'repro',
      join(dir, '2.txt'),
      '--repo',
      repo,
      '--out',
      'out-planted',
      '--json',
    ]);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      verdict: 'reproduced',
      plan: {
        stage: 'config',
        arch: 'arm64',
        source: `git:${repo}@${planted}`,
        config: join(dir, `${configName}.config`),
        requests: ['CONFIG_KEXEC=n'],
      },
      build: null,
      config: { base: 'report config' },
    });
    expect(j.outcomes).toEqual([
      expect.objectContaining({ found: true, match: { file: '', message: MESSAGE } }),
    ]);
    expect(j.config.pins).toEqual([
      expect.objectContaining({ symbol: 'KEXEC', effective: 'y', status: 'overridden' }),
    ]);
    // the chain, with the select's own file:line in the planted commit
    expect(j.explanations[0].symbol).toBe('KEXEC');
    expect(j.explanations[0].text).toContain(
      `selected by CRASH_DUMP=y  [arch/arm64/Kconfig:${selectLine}]`,
    );

    const back = await kmatrix(work, [
      'repro',
      join(dir, '2.txt'),
      '--source',
      `git:${repo}@${reverted}`,
      '--out',
      'out-reverted',
    ]);
    expect(back.exitCode, back.stderr + back.stdout).toBe(1);
    expect(back.stdout).toMatch(/^NOT REPRODUCED {2}arm64-kexec-pin-9e1f00aa11bb \(arm64, gcc\)/);
    expect(back.stdout).toContain(`absent  kconfig: error: ${MESSAGE}`);
    expect(back.stdout).toMatch(/why KEXEC:\n {4}KEXEC=n: holds/);
  });

  it("reproduces a user's mail with the tree's own merge_config.sh output in it", async () => {
    const cell = await pinCell();
    // the user's steps: a config, a fragment, merge_config.sh in a checkout of the commit
    const src = join(work, 'checkout');
    await mkdir(src, { recursive: true });
    const archive = execa('git', ['-C', repo, 'archive', planted], { buffer: false });
    await execa('tar', ['-x', '-C', src], { input: archive.stdout });
    await archive;
    await writeFile(join(work, 'base.config'), cell.config);
    await writeFile(join(work, 'kdump.config'), 'CONFIG_CRASH_DUMP=y\n# CONFIG_KEXEC is not set\n');
    await mkdir(join(work, 'merged'), { recursive: true });
    const merge = await execa(
      'scripts/kconfig/merge_config.sh',
      ['-O', join(work, 'merged'), join(work, 'base.config'), join(work, 'kdump.config')],
      {
        cwd: src,
        env: { ARCH: 'arm64', CROSS_COMPILE: 'aarch64-linux-gnu-' },
        reject: false,
        all: true,
      },
    );
    expect(merge.all).toContain('Value requested for CONFIG_KEXEC not in final .config');
    const said = merge.stdout.slice(merge.stdout.indexOf('Value requested for'));

    const dir = join(work, 'user');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'mail.txt'),
      `Subject: arm64: kdump without kexec no longer possible

Hi, our kdump fragment stopped applying today:

commit: ${planted}
config: arm64-tiny-kdump (attached as .config)

${said}
Thanks
`,
    );
    await writeFile(join(dir, 'config'), await readFile(join(work, 'merged/.config'), 'utf8'));
    const r = await kmatrix(work, ['repro', join(dir, 'mail.txt'), '--repo', repo, '--json']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.report.issues).toEqual([
      expect.objectContaining({
        kind: 'kconfig',
        request: { symbol: 'KEXEC', requested: 'n', actual: 'y' },
      }),
    ]);
    expect(j).toMatchObject({ verdict: 'reproduced', plan: { requests: ['CONFIG_KEXEC=n'] } });
    expect(j.explanations[0].text).toContain('selected by CRASH_DUMP=y');
  });
});
