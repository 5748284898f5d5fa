// What a worker accepts from Redis: a cell spec the matrix schema could have produced, with
// an id that matches its content, and limits in range. Everything else is refused with the
// reason; nothing in a job is ever a command.
import { describe, expect, it } from 'vitest';
import { expandMatrix } from '../../../src/matrix/expand.js';
import { formatProblem, parseMatrixText } from '../../../src/matrix/parse.js';
import type { Cell } from '../../../src/matrix/cell.js';
import { baseConfigHash, checkJob, checkReturn, type JobData } from '../../../src/queue/job.js';
import { jobIdOf } from '../../../src/queue/keys.js';
import { cellId, cellIdentity } from '../../../src/matrix/cell.js';
import { cellResult } from '../../helpers/results.js';

function cells(yaml: string, baseFiles = new Map<string, string>()): Cell[] {
  const r = parseMatrixText(yaml, 'm.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return expandMatrix(r.matrix, { dir: '/m', fragments: new Map(), baseFiles }).cells;
}

const [tiny, rand] = cells(`sources: [debian:6.1]
architectures: [arm]
configs:
  - name: tiny
    base: tinyconfig
    pins: [CRASH_DUMP=y, 'LOCALVERSION="-kmatrix"']
  - name: rand
    base: randconfig
    seeds: [7]
    probability: 5
    build: false
`) as [Cell, Cell];

const RUN = '20260101-120000-abcd';

function data(cell: Cell, extra: Partial<JobData> = {}): JobData {
  return {
    v: 1,
    runId: RUN,
    cell,
    timeoutMs: 3600_000,
    runtime: 'auto',
    lockMs: 30_000,
    maxAttempts: 3,
    images: false,
    resources: { cpus: 2, memBytes: 2 ** 31, labels: [] },
    ...extra,
  };
}

describe('checkJob', () => {
  it('accepts the jobs a coordinator makes from matrix cells', () => {
    for (const c of [tiny, rand]) {
      const r = checkJob(jobIdOf(RUN, c.id), data(c));
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (r.ok) expect(r.cell).toEqual(c);
    }
  });

  it('accepts a file base only with its text, whose hash is part of the id', () => {
    const text = 'CONFIG_KEXEC=y\n';
    const [c] = cells(
      `sources: [debian:6.1]
architectures: [arm]
configs:
  - name: mine
    base: file:my.config
`,
      new Map([['my.config', baseConfigHash(text)]]),
    ) as [Cell];
    expect(checkJob(jobIdOf(RUN, c.id), data(c, { baseConfig: text })).ok).toBe(true);
    expect(checkJob(jobIdOf(RUN, c.id), data(c))).toEqual({
      ok: false,
      reason: 'a file base without its config text',
    });
    expect(checkJob(jobIdOf(RUN, c.id), data(c, { baseConfig: 'CONFIG_KEXEC=n\n' }))).toEqual({
      ok: false,
      reason: `cell ${c.id}: the id does not match the cell's content`,
    });
  });

  it.each<[string, (d: JobData) => unknown, RegExp]>([
    ['a command of its own', (d) => ({ ...d, command: 'rm -rf /' }), /Unrecognized key: "command"/],
    [
      'a command in the cell',
      (d) => ({ ...d, cell: { ...d.cell, argv: ['sh', '-c', 'id'] } }),
      /cell: Unrecognized key: "argv"/,
    ],
    [
      'a pin value that is not a Kconfig value',
      (d) => ({ ...d, cell: { ...d.cell, pins: [{ symbol: 'X', value: '$(id)', origin: 'm' }] } }),
      /cell\.pins\.0: not a pin value/,
    ],
    [
      'an unknown base',
      (d) => ({ ...d, cell: { ...d.cell, base: { kind: 'script', path: '/tmp/x.sh' } } }),
      /cell\.base/,
    ],
    [
      'an arch kmatrix does not know',
      (d) => ({ ...d, cell: { ...d.cell, arch: 'sparc' } }),
      /cell\.arch: unknown architecture/,
    ],
    ['a run id that is not one', (d) => ({ ...d, runId: '../../x' }), /runId/],
    ['an absurd timeout', (d) => ({ ...d, timeoutMs: 1e12 }), /timeoutMs/],
    ['not an object', () => 'hello', /not a kmatrix cell job/],
  ])('refuses a planted job with %s', (_name, plant, why) => {
    const r = checkJob(jobIdOf(RUN, tiny.id), plant(data(tiny)));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(why);
  });

  it('refuses a cell whose id does not match its content (a changed pin)', () => {
    const changed = { ...tiny, pins: [{ symbol: 'KEXEC', value: 'y', origin: 'planted' }] };
    expect(checkJob(jobIdOf(RUN, tiny.id), data(changed))).toEqual({
      ok: false,
      reason: `cell ${tiny.id}: the id does not match the cell's content`,
    });
  });

  it('refuses a job whose id is not <run>.<cell> of its data', () => {
    const r = checkJob(jobIdOf(RUN, rand.id), data(tiny));
    expect(r).toEqual({
      ok: false,
      reason: `job id ${RUN}.${rand.id} is not <run>.<cell> of its data`,
    });
  });

  it('the id check is the matrix expansion: the same cell id for the same content', () => {
    expect(cellId(cellIdentity(tiny))).toBe(tiny.id);
  });
});

describe('checkReturn', () => {
  const result = cellResult(tiny.id, {
    buildMs: 0,
    files: { log: `cells/${tiny.id}/build.log` },
    finishedAt: '2026-01-01T00:00:00Z',
    worker: 'w1',
  });
  const value = { v: 1, worker: 'w1', attempt: 1, result, artifact: null };

  it('accepts a worker result for the cell it asked for', () => {
    expect(checkReturn(tiny.id, value)).toEqual({ ok: true, value });
  });

  it('refuses a result for another cell, an unknown status, or a path out of the run dir', () => {
    expect(checkReturn(rand.id, value)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/returned cell .*'s result/),
    });
    expect(checkReturn(tiny.id, { ...value, result: { ...result, status: 'ok' } })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not a cell result: result\.status/),
    });
    const escape = { ...result, files: { log: '../../../etc/passwd' } };
    expect(checkReturn(tiny.id, { ...value, result: escape })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not a path inside the run directory/),
    });
  });
});
