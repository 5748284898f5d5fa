// `solve: true` cells through the real config stage (src/run/work.ts + solve-cell.ts) and the
// scheduler, with an injected solver and a fake conf: the extra pins reach generateConfig, the
// reproducer and the result; a proof ends the cell config-unsatisfied with its one line and
// the proof in the cell's files; a solver failure is an infrastructure error; the summary,
// markdown and HTML show what solve did.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigRequest, ConfigResult } from '../../../src/config/generate.js';
import type { Pin } from '../../../src/config/pin.js';
import type { PinResult } from '../../../src/config/verify.js';
import { KmatrixError } from '../../../src/core/errors.js';
import type { Cell } from '../../../src/matrix/cell.js';
import { renderRunHtml } from '../../../src/report/run-html.js';
import {
  buildRunSummary,
  renderRunMarkdown,
  renderRunText,
} from '../../../src/report/run-summary.js';
import { compareRun } from '../../../src/results/compare.js';
import type { CellResult } from '../../../src/results/result.js';
import type { CellSolveRequest, CellSolver } from '../../../src/run/solve-cell.js';
import { realWork } from '../../../src/run/work.js';
import { schedule } from '../../../src/schedule/scheduler.js';
import type { ArchVerdict, SolveReport } from '../../../src/solve/result.js';
import type { KernelTree } from '../../../src/source/tree.js';
import { realClock } from '../../../src/schedule/clock.js';
import { cell as fakeCell } from '../../helpers/results.js';
import { fakeWork } from '../schedule/fake-work.js';

const tree: KernelTree = {
  spec: { kind: 'debian', version: '6.12' },
  path: '/trees/debian-6.12',
  version: '6.12.95',
  label: 'debian-6.12',
  cacheKey: 'debian-6.12',
};

const SEED: Pin[] = [
  { symbol: 'CRASH_DUMP', value: 'y', origin: 'matrix' },
  { symbol: 'KEXEC', value: 'n', origin: 'matrix' },
];

/** The fake conf: CRASH_DUMP=y with KEXEC=n needs KEXEC_FILE=y, but on arm64; others hold. */
function confPins(pins: readonly Pin[], arch: string): PinResult[] {
  const on = (s: string) => pins.some((p) => p.symbol === s && p.value === 'y');
  return pins.map((p) => {
    const dropped =
      p.symbol === 'CRASH_DUMP' && p.value === 'y' && !on('KEXEC_FILE') && arch !== 'arm64';
    return {
      symbol: p.symbol,
      requested: p.value,
      effective: dropped ? 'n' : p.value,
      status: dropped ? 'dropped' : 'holds',
      origin: p.origin,
    };
  });
}

const generated: ConfigRequest[] = [];
async function fakeGenerate(req: ConfigRequest): Promise<ConfigResult> {
  generated.push(req);
  await mkdir(req.outDir, { recursive: true });
  const text = req.pins.map((p) => `CONFIG_${p.symbol}=${p.value}\n`).join('');
  await writeFile(join(req.outDir, '.config'), text);
  await writeFile(join(req.outDir, 'kmatrix-config.json'), '{}\n');
  const pins = confPins(req.pins, req.arch.name);
  return {
    verdict: pins.every((p) => p.status === 'holds') ? 'satisfied' : 'unsatisfied',
    arch: req.arch.name,
    base: req.base.kind,
    seed: null,
    probability: null,
    toolchain: req.toolchain,
    source: { spec: 'debian:6.12', label: tree.label, version: tree.version, path: tree.path },
    configPath: join(req.outDir, '.config'),
    outDir: req.outDir,
    pins,
    kconfigWarnings: [],
    diagnostics: [],
    commands: [],
    durationMs: 1,
  };
}

function report(arch: string, verdict: ArchVerdict, pins: readonly Pin[]): SolveReport {
  return {
    verdict:
      verdict.kind === 'unsatisfiable' || verdict.kind === 'undecided'
        ? verdict.kind
        : 'satisfiable',
    source: { spec: 'debian:6.12', label: tree.label, version: tree.version },
    base: 'tinyconfig',
    toolchain: 'gcc',
    pins: pins.map((p) => `${p.symbol}=${p.value}`),
    forbid: [],
    arches: [
      {
        arch,
        verdict,
        pins: [],
        stats: { symbols: 1, variables: 1, clauses: 1, satCalls: 1, confRuns: 1, ms: 5 },
      },
    ],
  };
}

const PROOF: ArchVerdict = {
  kind: 'unsatisfiable',
  toolchainDependent: false,
  cores: [
    {
      pins: ['CRASH_DUMP=y', 'KEXEC=n'],
      confirmedByConf: true,
      chain: [
        { text: 'pinned CRASH_DUMP=y', kind: 'pin', location: null },
        { text: 'pinned KEXEC=n', kind: 'pin', location: null },
        {
          text: 'CRASH_DUMP depends on KEXEC_CORE',
          kind: 'depends',
          location: { file: 'kernel/Kconfig.kexec', line: 102 },
        },
        {
          text: 'ARCH_SUPPORTS_KEXEC_FILE is not defined for armhf (always n)',
          kind: 'undefined',
          location: null,
        },
      ],
    },
  ],
};

/** By arch: x86_64 needs KEXEC_FILE=y, armhf cannot, arm64 holds, s390's solver fails. */
const asked: CellSolveRequest[] = [];
const solver: CellSolver = async (req) => {
  asked.push(req);
  switch (req.arch.name) {
    case 'x86_64':
      return report(
        'x86_64',
        {
          kind: 'satisfiable',
          extra: [{ symbol: 'KEXEC_FILE', value: 'y' }],
          command:
            'kmatrix config --source debian:6.12 --arch x86_64 --base tinyconfig --set CRASH_DUMP=y --set KEXEC=n --set KEXEC_FILE=y',
          found: 'solver',
          changedFromBase: 16,
        },
        req.pins,
      );
    case 'armhf':
      return report('armhf', PROOF, req.pins);
    case 'arm64':
      return report('arm64', { kind: 'holds' }, req.pins);
    default:
      throw new KmatrixError('missing-toolchain', 'picosat is not installed', 'apt-get install');
  }
};

let runDir: string;
beforeAll(async () => {
  runDir = await mkdtemp(join(tmpdir(), 'kmatrix-solve-cell-'));
});
afterAll(async () => {
  await rm(runDir, { recursive: true, force: true });
});

const solveCell = (arch: string, o: Partial<Cell> = {}): Cell =>
  fakeCell(`c-${arch}`, {
    source: 'debian:6.12',
    sourceResolved: 'debian:6.12',
    arch,
    build: false,
    pins: SEED,
    solve: true,
    ...o,
  });

async function run(cells: Cell[]): Promise<Map<string, CellResult>> {
  const recorded = new Map<string, CellResult>();
  await schedule({
    runId: 'r1',
    runDir,
    cells,
    done: new Map(),
    sizing: { configJobs: 2, buildJobs: 1, makeJobs: 1 },
    timeoutMs: 60_000,
    retries: 1,
    signal: new AbortController().signal,
    emit: () => {},
    record: (r) => recorded.set(r.cellId, r),
    work: realWork({
      runDir,
      tree: () => Promise.resolve(tree),
      runtime: () => Promise.reject(new Error('config-only cells build nothing')),
      generateConfig: fakeGenerate,
      solve: solver,
    }),
    clock: { ...realClock, sleep: async () => {} },
  });
  return recorded;
}

describe('solve: true cells', () => {
  const cells = [
    solveCell('x86_64'),
    solveCell('armhf'),
    solveCell('arm64'),
    solveCell('s390'),
    solveCell('riscv64', { solve: false }),
  ];
  let results: Map<string, CellResult>;
  beforeAll(async () => {
    results = await run(cells);
  });
  const res = (arch: string) => results.get(`c-${arch}`)!;
  const file = (rel: string | undefined) => readFile(join(runDir, rel!), 'utf8');

  it('asks the solver for the cell tree, arch, toolchain, base and pins; never for other cells', () => {
    expect(asked.map((a) => a.arch.name).sort()).toEqual(
      // s390 twice: its infrastructure error is retried once
      ['arm64', 'armhf', 's390', 's390', 'x86_64'],
    );
    const x = asked.find((a) => a.arch.name === 'x86_64')!;
    expect(x).toMatchObject({ tree, toolchain: 'gcc', base: { kind: 'tinyconfig' }, pins: SEED });
  });

  it('generates with the extra pins, passes, and records them in the result and its files', async () => {
    const cfg = generated.find((g) => g.arch.name === 'x86_64')!;
    expect(cfg.pins.map((p) => `${p.symbol}=${p.value}:${p.origin}`)).toEqual([
      'CRASH_DUMP=y:matrix',
      'KEXEC=n:matrix',
      'KEXEC_FILE=y:solve',
    ]);
    const r = res('x86_64');
    expect(r.status).toBe('pass');
    expect(r.solve).toEqual({
      verdict: 'satisfiable',
      extra: ['KEXEC_FILE=y'],
      ms: expect.any(Number),
    });
    expect(r.pins.find((p) => p.symbol === 'KEXEC_FILE')).toMatchObject({
      origin: 'solve',
      status: 'holds',
    });
    expect(r.files.solve).toBe('cells/c-x86_64/solve.txt');
    expect(await file(r.files.solve)).toContain('--set KEXEC=n --set KEXEC_FILE=y');
    const json = JSON.parse(await file('cells/c-x86_64/solve.json')) as SolveReport;
    expect(json.arches[0]!.verdict).toMatchObject({ kind: 'satisfiable' });
    // the reproducer makes the same .config: the extra pin is on its command line
    expect(await file(r.files.reproducer)).toContain('--set KEXEC_FILE=y');
  });

  it('ends an unsatisfiable cell config-unsatisfied with the proof in one line and in solve.txt', async () => {
    const r = res('armhf');
    expect(r.status).toBe('config-unsatisfied');
    expect(r.reason).toBe(
      'kmatrix solve: no config of debian-6.12 for armhf holds CRASH_DUMP=y KEXEC=n: CRASH_DUMP depends on KEXEC_CORE; ARCH_SUPPORTS_KEXEC_FILE is not defined for armhf (always n) (proof: cells/c-armhf/solve.txt)',
    );
    expect(r.solve).toMatchObject({ verdict: 'unsatisfiable', extra: [] });
    // conf still made the config with the user's pins (its pin table is in the result)
    expect(generated.find((g) => g.arch.name === 'armhf')!.pins).toEqual(SEED);
    expect(r.pins.find((p) => p.symbol === 'CRASH_DUMP')!.status).toBe('dropped');
    const proof = await file(r.files.solve);
    expect(proof).toContain('UNSATISFIABLE');
    expect(proof).toContain('CRASH_DUMP depends on KEXEC_CORE  [kernel/Kconfig.kexec:102]');
  });

  it('keeps the pins when they already hold, and fails the cell as infra-error when the solver does', () => {
    expect(res('arm64')).toMatchObject({ status: 'pass', solve: { verdict: 'holds', extra: [] } });
    expect(generated.find((g) => g.arch.name === 'arm64')!.pins).toEqual(SEED);
    const s390 = res('s390');
    expect(s390.status).toBe('infra-error');
    expect(s390.reason).toBe('solve: picosat is not installed\napt-get install');
    expect(s390.attempts).toBe(2);
    expect(generated.some((g) => g.arch.name === 's390')).toBe(false);
    // without solve: the pins as written, nothing recorded
    expect(res('riscv64').solve).toBeUndefined();
    expect(res('riscv64').status).toBe('config-unsatisfied');
    expect(res('riscv64').reason).toBe('1 pin(s) did not hold: CRASH_DUMP (dropped)');
  });

  it('shows what solve did in the summary, summary.md, results.json and the HTML grid', () => {
    const summary = buildRunSummary({
      runId: 'r1',
      matrix: { identity: 'name:t', file: '/m.yaml', contentHash: 'h' },
      runDir,
      store: '/db',
      startedAt: '',
      finishedAt: '',
      durationMs: 1,
      interrupted: false,
      exitCode: 1,
      cells,
      results,
      comparison: compareRun(
        cells.map((c) => c.id),
        results,
        undefined,
      ),
    });
    const text = renderRunText(summary);
    expect(text).toContain(
      'SOLVE        debian:6.12 x86_64 tiny-c-x86_64 gcc [c-x86_64]: extra pins from solve: KEXEC_FILE=y',
    );
    expect(text).toContain(
      'SOLVE        debian:6.12 armhf tiny-c-armhf gcc [c-armhf]: unsatisfiable, no extra pins can help: no config of debian-6.12 for armhf holds CRASH_DUMP=y KEXEC=n:',
    );
    expect(text).toContain('[c-arm64]: extra pins from solve: none (the pins hold as they are)');
    expect(text).not.toContain('[c-riscv64]: extra');
    expect(renderRunMarkdown(summary)).toContain('## Solve');
    const json = JSON.parse(JSON.stringify(summary)) as typeof summary;
    expect(json.cells.find((c) => c.id === 'c-x86_64')!.solve).toMatchObject({
      verdict: 'satisfiable',
      extra: ['KEXEC_FILE=y'],
    });
    expect(json.cells.find((c) => c.id === 'c-riscv64')!.solve).toBeNull();
    const html = renderRunHtml(summary);
    expect(html).toContain('href="cells/c-x86_64/solve.txt">solve</a>');
    expect(html).toContain('extra pins from solve: KEXEC_FILE=y');
  });
});

describe('solve: true build cells', () => {
  it("keeps each cell's own solve record when identical configs are built once", async () => {
    // a solve cell and a cell that wrote the extra pin by hand resolve to the same .config
    const solved = { verdict: 'satisfiable' as const, extra: ['KEXEC_FILE=y'], ms: 3 };
    const cells = [fakeCell('solved', { solve: true }), fakeCell('by-hand')];
    const { work } = fakeWork({
      solved: {
        configHash: 'same',
        config: [{ solve: solved, files: { solve: 'cells/solved/solve.txt' } }],
      },
      'by-hand': { configHash: 'same', delayMs: 30 },
    });
    const recorded: CellResult[] = [];
    await schedule({
      runId: 'r2',
      runDir,
      cells,
      done: new Map(),
      sizing: { configJobs: 2, buildJobs: 1, makeJobs: 1 },
      timeoutMs: 60_000,
      retries: 0,
      signal: new AbortController().signal,
      emit: () => {},
      record: (r) => recorded.push(r),
      work,
      clock: { ...realClock, sleep: async () => {} },
    });
    const [lead, follower] = recorded;
    expect([lead!.cellId, lead!.dedupedFrom]).toEqual(['solved', null]);
    expect(lead!.solve).toEqual(solved);
    expect(lead!.files.solve).toBe('cells/solved/solve.txt');
    expect([follower!.cellId, follower!.dedupedFrom]).toEqual(['by-hand', 'solved']);
    expect(follower!.solve).toBeUndefined();
    expect(follower!.files.solve).toBeUndefined();
  });
});
