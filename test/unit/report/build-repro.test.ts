// The one build-progress renderer (build and repro print the same lines), the repro notes on
// top of it, and the config-bisect renderers.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { configBisectExitCode } from '../../../src/bisect/exit-code.js';
import type { ConfigBisectResult } from '../../../src/bisect/config-bisect.js';
import type { BuildEvent } from '../../../src/build/events.js';
import { buildReporter } from '../../../src/report/build.js';
import { configBisectEventLine, renderConfigBisect } from '../../../src/report/config-bisect.js';
import { reproReporter } from '../../../src/report/repro.js';

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

const CELL = 'debian-6.1/arm64/tinyconfig/gcc';
const EVENTS: BuildEvent[] = [
  { type: 'build:runtime', note: 'runtime: local (host toolchains), as requested' },
  { type: 'build:config', cell: CELL, verdict: 'satisfied' },
  { type: 'build:compiler', cell: CELL, version: 'aarch64-linux-gnu-gcc 12.2.0' },
  { type: 'build:target-start', cell: CELL, target: 'kernel', command: 'make -C /src Image' },
  { type: 'build:output', cell: CELL, chunk: '  CC      init/main.o\n' },
  { type: 'build:target-done', cell: CELL, target: 'kernel', status: 'pass', ms: 61_250 },
  { type: 'build:done', cell: CELL, status: 'pass', ms: 62_000, outDir: '/out' },
];
const LINES = [
  'kmatrix: runtime: local (host toolchains), as requested',
  `kmatrix: ${CELL}: config satisfied`,
  `kmatrix: ${CELL}: compiler aarch64-linux-gnu-gcc 12.2.0`,
  `kmatrix: ${CELL}: make -C /src Image`,
  `kmatrix: ${CELL}: kernel pass (61.3s)`,
];

describe('build progress', () => {
  it('prints a line per step, and make output only when verbose', () => {
    const quiet = sink();
    const loud = sink();
    EVENTS.forEach(buildReporter(quiet.stream, false));
    EVENTS.forEach(buildReporter(loud.stream, true));
    expect(quiet.text()).toBe(LINES.join('\n') + '\n');
    expect(loud.text()).toBe(
      [...LINES.slice(0, 4), '  CC      init/main.o', LINES[4]].join('\n') + '\n',
    );
  });

  it('repro prints its notes and the same build lines', () => {
    const s = sink();
    const emit = reproReporter(s.stream, false);
    emit({ type: 'repro:note', note: 'report used gcc-13.2.0, using gcc 12.2.0' });
    EVENTS.forEach(emit);
    expect(s.text()).toBe(
      ['kmatrix: report used gcc-13.2.0, using gcc 12.2.0', ...LINES].join('\n') + '\n',
    );
  });
});

describe('config-bisect rendering', () => {
  const common = {
    schema: 'kmatrix.config-bisect/1' as const,
    arch: 'x86_64',
    source: 'debian-6.1',
    predicate: { kind: 'config' as const, requires: [{ symbol: 'KEXEC', value: 'n' }] },
    differing: 14,
    tests: 6,
    configRuns: 8,
    durationMs: 4_200,
  };

  it('found: the minimal change, what olddefconfig changes with it, the verdict; exit 0', () => {
    const r: ConfigBisectResult = {
      ...common,
      kind: 'found',
      closesToBad: true,
      minimal: [{ symbol: 'CRASH_DUMP', good: 'n', bad: 'y' }],
      consequences: [{ symbol: 'KEXEC', good: 'n', bad: 'y' }],
      outcome: { verdict: 'fail', why: 'KEXEC=y (required n)' },
    };
    expect(renderConfigBisect(r)).toBe(
      [
        'minimal change: 1 symbol(s) of 14 differing (6 test(s), 8 olddefconfig run(s), 4.2s)',
        `  ${'CRASH_DUMP'.padEnd(28)} n -> y`,
        'olddefconfig then also changes:',
        `  ${'KEXEC'.padEnd(28)} n -> y`,
        'result: bad: KEXEC=y (required n)',
        '',
      ].join('\n'),
    );
    expect(configBisectExitCode(r)).toBe(0);
  });

  it('endpoints that do not bracket a regression: the problems; exit 3', () => {
    const r: ConfigBisectResult = {
      ...common,
      kind: 'endpoints',
      problems: ['--good config is bad: KEXEC=y (required n)'],
    };
    expect(renderConfigBisect(r)).toBe(
      'the configs do not bracket a regression:\n  --good config is bad: KEXEC=y (required n)\n',
    );
    expect(configBisectExitCode(r)).toBe(3);
  });

  it('not reproduced: why; exit 1', () => {
    const r: ConfigBisectResult = { ...common, kind: 'not-reproduced', why: 'all changes: good' };
    expect(renderConfigBisect(r)).toMatch(/^not reproduced: all changes: good \(6 test/);
    expect(configBisectExitCode(r)).toBe(1);
  });

  it('progress lines', () => {
    expect(configBisectEventLine({ type: 'cbisect:diff', symbols: 14, excluded: ['KEXEC'] })).toBe(
      '14 differing symbol(s) to minimize (not counting required KEXEC)',
    );
    expect(
      configBisectEventLine({
        type: 'cbisect:test',
        n: 3,
        size: 7,
        verdict: 'pass',
        why: 'KEXEC=n',
        cached: true,
      }),
    ).toBe('test 3: 7 change(s) -> pass (same config as an earlier test): KEXEC=n');
  });
});
