// The build progress lines of kmatrix build and repro (stderr).
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BuildEvent } from '../../../src/build/events.js';
import { buildProgressReporter } from '../../../src/report/build-progress.js';

const events: BuildEvent[] = [
  { type: 'build:runtime', note: 'runtime: local (host toolchains), as requested' },
  { type: 'build:config', cell: 'c', verdict: 'satisfied' },
  { type: 'build:compiler', cell: 'c', version: 'gcc 12.2.0' },
  { type: 'build:target-start', cell: 'c', target: 'kernel', command: 'make -j2 Image' },
  { type: 'build:output', cell: 'c', chunk: '  CC init/main.o\n' },
  { type: 'build:target-done', cell: 'c', target: 'kernel', status: 'pass', ms: 61_250 },
  { type: 'build:done', cell: 'c', status: 'pass', ms: 62_000, outDir: '/o' },
];

function render(o: { verbose: boolean; commands: boolean }): string {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  const emit = buildProgressReporter(stream, o);
  for (const e of events) emit(e);
  return text;
}

describe('build progress', () => {
  it('shows the make command (build) or the target (repro), and make output only when verbose', () => {
    expect(render({ verbose: false, commands: true })).toBe(
      [
        'kmatrix: runtime: local (host toolchains), as requested',
        'kmatrix: c: config satisfied',
        'kmatrix: c: compiler gcc 12.2.0',
        'kmatrix: c: make -j2 Image',
        'kmatrix: c: kernel pass (61.3s)',
        '',
      ].join('\n'),
    );
    expect(render({ verbose: true, commands: false })).toContain(
      'kmatrix: c: building kernel\n  CC init/main.o\nkmatrix: c: kernel pass (61.3s)\n',
    );
  });
});
