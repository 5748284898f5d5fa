import { describe, expect, it } from 'vitest';
import { bisectExitCode } from '../../../src/bisect/exit-code.js';
import { bisectEventLine, renderBisectResult } from '../../../src/report/bisect.js';
import type { BisectResult } from '../../../src/bisect/run.js';

const c = (n: string, subject: string) => ({
  sha: n.repeat(40),
  subject,
  date: '2024-01-01T00:00:00Z',
  author: 'A',
});
const common = {
  schema: 'kmatrix.bisect/1' as const,
  repo: '/r',
  good: c('a', 'base'),
  bad: c('f', 'tip'),
  arch: 'x86_64',
  base: 'defconfig',
  toolchain: 'gcc' as const,
  predicate: { kind: 'config' as const, requires: [{ symbol: 'KEXEC', value: 'n' }] },
  range: { commits: 30, candidates: 9 },
  steps: [],
  log: '',
  durationMs: 12_300,
};

describe('renderBisectResult', () => {
  it('leads with the first bad commit, then parent and commit verdicts, hunks, explanations', () => {
    const r: BisectResult = {
      ...common,
      kind: 'found',
      firstBad: c('c', 'x86/kexec: CRASH_DUMP selects KEXEC'),
      parent: {
        info: c('b', 'prev'),
        step: {
          sha: 'b'.repeat(40),
          subject: 'prev',
          verdict: 'good',
          why: 'KEXEC=n',
          tested: false,
          inferredFrom: 'e'.repeat(40),
          ms: 0,
        },
      },
      culprit: {
        sha: 'c'.repeat(40),
        subject: 'x',
        verdict: 'bad',
        why: 'KEXEC=y (required n)',
        tested: true,
        ms: 1,
      },
      hunks: [
        {
          file: 'arch/x86/Kconfig',
          header: '@@',
          text: '--- arch/x86/Kconfig\n@@\n+\tselect KEXEC',
          symbols: ['KEXEC'],
        },
      ],
      explanation: { before: [], after: [] },
    };
    const text = renderBisectResult(r, '/tmp/log');
    expect(text.split('\n').slice(0, 4)).toEqual([
      `first bad commit: ${'c'.repeat(12)} x86/kexec: CRASH_DUMP selects KEXEC`,
      `  ${'c'.repeat(40)}  2024-01-01T00:00:00Z  A`,
      `  parent  ${'b'.repeat(12)} good KEXEC=n [inferred from ${'e'.repeat(12)}]`,
      `  commit  ${'c'.repeat(12)} bad  KEXEC=y (required n) [tested]`,
    ]);
    expect(text).toContain('hunks naming KEXEC:');
    expect(text).toContain('bisect log: /tmp/log (git bisect replay accepts it)');
    expect(bisectExitCode(r)).toBe(0);
  });
  it('lists the candidates of an inconclusive range and exits 1', () => {
    const r: BisectResult = {
      ...common,
      kind: 'inconclusive',
      candidates: [c('d', 'one'), c('e', 'two')],
    };
    expect(renderBisectResult(r)).toMatch(/^inconclusive: .*\n {2}d{12} one\n {2}e{12} two\n/);
    expect(bisectExitCode(r)).toBe(1);
  });
  it('exits 3 when the endpoints do not bracket a regression', () => {
    const r: BisectResult = { ...common, kind: 'endpoints', problems: ['--good x is bad'] };
    expect(renderBisectResult(r)).toContain('  --good x is bad');
    expect(bisectExitCode(r)).toBe(3);
  });
});

describe('progress lines', () => {
  it('say step n of ~m, the commit and its verdict', () => {
    expect(
      bisectEventLine({
        type: 'bisect:step',
        n: 3,
        total: 8,
        sha: 'c'.repeat(40),
        subject: 's',
        role: 'probe',
      }),
    ).toBe(`step 3 of ~8: ${'c'.repeat(12)} (probe) s`);
    expect(
      bisectEventLine({
        type: 'bisect:verdict',
        sha: 'c'.repeat(40),
        verdict: 'bad',
        why: 'KEXEC=y',
        ms: 2500,
      }),
    ).toBe(`  ${'c'.repeat(12)} is bad: KEXEC=y (2.5s)`);
  });
});
