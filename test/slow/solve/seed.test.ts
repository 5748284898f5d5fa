// kmatrix solve end to end on the Debian trees, as a user runs it: the CRASH_DUMP/KEXEC seed
// pins on arm, arm64, s390 and x86_64 (the known ground truth of the mailing-list thread),
// and a case where several extra pins exist, its printed command run as a user pastes it.
// Every file:line of a chain is read back from the tree. (CRASH_DUMP=y KEXEC=n getting
// KEXEC_FILE=y on x86_64 is run.test.ts, through kmatrix run; --forbid is agreement.test.ts.)
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainStep, SolveReport } from '../../../src/solve/result.js';
import { kmatrix } from '../../helpers/cli.js';
import { treePath, type TreeVersion } from '../../helpers/trees.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-solve-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function solve(args: string[]): Promise<{ exitCode: number; report: SolveReport }> {
  const r = await kmatrix(work, ['solve', ...args, '--json']);
  if (r.exitCode === 2) throw new Error(`kmatrix solve failed: ${r.stderr}`);
  return { exitCode: r.exitCode ?? -1, report: JSON.parse(r.stdout) as SolveReport };
}

/** Each located step's line in the tree, trimmed: what a reader finds at file:line. */
async function linesAt(version: TreeVersion, chain: readonly ChainStep[]): Promise<string[]> {
  const out: string[] = [];
  for (const s of chain) {
    if (!s.location) continue;
    const text = await readFile(join(treePath(version), s.location.file), 'utf8');
    out.push(`${s.text} => ${text.split('\n')[s.location.line - 1]!.trim()}`);
  }
  return out;
}

/** The printed command, as a user pastes it (its words need no shell quoting here). */
async function configHolds(command: string, out: string) {
  const words = command.split(' ');
  expect(words.slice(0, 2)).toEqual(['kmatrix', 'config']);
  const r = await kmatrix(work, [...words.slice(1), '--out', out, '--json']);
  return { exitCode: r.exitCode, verdict: (JSON.parse(r.stdout) as { verdict: string }).verdict };
}

function verdicts(r: SolveReport): Record<string, string> {
  return Object.fromEntries(r.arches.map((a) => [a.arch, a.verdict.kind]));
}

function cores(r: SolveReport, arch: string) {
  const v = r.arches.find((a) => a.arch === arch)!.verdict;
  if (v.kind !== 'unsatisfiable') throw new Error(`${arch}: ${v.kind}`);
  return v.cores;
}

const SEED = ['--set', 'CRASH_DUMP=y', '--set', 'KEXEC=n', '--set', 'KEXEC_FILE=y'];
const ARCHES = ['--arch', 'armhf,arm64,s390,x86_64'];

// The queries share nothing but the trees: they run at once (each CLI keeps its own conf
// queue as wide as the CPUs), so one query's serial steps fill another's idle CPU.
describe.concurrent('kmatrix solve on the Debian trees', () => {
  it('6.1: arm has no KEXEC_FILE; s390 cannot turn KEXEC off; arm64 and x86_64 hold', async () => {
    const { exitCode, report } = await solve(['--source', treePath('6.1'), ...ARCHES, ...SEED]);
    expect(exitCode).toBe(1);
    expect(verdicts(report)).toEqual({
      armhf: 'unsatisfiable',
      arm64: 'holds',
      s390: 'unsatisfiable',
      x86_64: 'holds',
    });
    const [arm] = cores(report, 'armhf');
    expect(arm!.pins).toEqual(['KEXEC_FILE=y']);
    expect(arm!.chain.map((s) => s.text)).toEqual([
      'pinned KEXEC_FILE=y',
      'KEXEC_FILE is not defined for armhf (always n)',
    ]);
    expect(arm!.chain[1]!.definedElsewhere!.map((d) => d.arch)).toEqual(
      expect.arrayContaining(['arm64', 'x86', 's390']),
    );
    const s390 = cores(report, 's390');
    expect(s390.map((c) => [c.pins, c.confirmedByConf])).toEqual([[['KEXEC=n'], true]]);
    expect(await linesAt('6.1', s390[0]!.chain)).toEqual([
      'KEXEC has no prompt: only defaults and selects set it => config KEXEC',
      'KEXEC defaults to y => def_bool y',
    ]);
  });

  for (const version of ['6.12', '7.2'] as const) {
    it(`${version}: arm's CRASH_DUMP needs KEXEC_CORE, which only KEXEC and KEXEC_FILE select`, async () => {
      const { exitCode, report } = await solve(['--source', treePath(version), ...ARCHES, ...SEED]);
      expect(exitCode).toBe(1);
      expect(verdicts(report)).toEqual({
        armhf: 'unsatisfiable',
        arm64: 'holds',
        s390: 'holds',
        x86_64: 'holds',
      });
      const arm = cores(report, 'armhf');
      expect(arm.map((c) => [c.pins, c.confirmedByConf])).toEqual([
        [['KEXEC_FILE=y'], true],
        [['CRASH_DUMP=y', 'KEXEC=n'], true],
      ]);
      const located = await linesAt(version, arm[1]!.chain);
      expect(located).toEqual(
        expect.arrayContaining([
          'CRASH_DUMP depends on KEXEC_CORE => depends on KEXEC_CORE',
          'KEXEC_CORE has no prompt: only defaults and selects set it => config KEXEC_CORE',
          'KEXEC selects KEXEC_CORE => select KEXEC_CORE',
          'KEXEC_FILE selects KEXEC_CORE => select KEXEC_CORE',
          'KEXEC_FILE depends on ARCH_SUPPORTS_KEXEC_FILE => depends on ARCH_SUPPORTS_KEXEC_FILE',
        ]),
      );
      expect(arm[1]!.chain.map((s) => s.text)).toContain(
        'ARCH_SUPPORTS_KEXEC_FILE is not defined for armhf (always n)',
      );
    });
  }

  it('7.2 x86_64 tinyconfig: USB_STORAGE=m needs modules, the block layer, SCSI and USB', async () => {
    const { exitCode, report } = await solve([
      '--source',
      treePath('7.2'),
      '--arch',
      'x86_64',
      '--base',
      'tinyconfig',
      '--set',
      'USB_STORAGE=m',
    ]);
    expect(exitCode).toBe(0);
    const a = report.arches[0]!;
    if (a.verdict.kind !== 'satisfiable') throw new Error(JSON.stringify(a.verdict));
    expect(a.verdict.extra.map((e) => `${e.symbol}=${e.value}`).sort()).toEqual(
      ['BLOCK=y', 'MODULES=y', 'SCSI=m', 'USB=m', 'USB_SUPPORT=y'].sort(),
    );
    expect(a.pins.every((p) => p.status === 'holds')).toBe(true);
    expect(await configHolds(a.verdict.command, 'out-72')).toEqual({
      exitCode: 0,
      verdict: 'satisfied',
    });
  });
});
