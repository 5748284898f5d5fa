// `solve: true` in a matrix config: validated like every other key (bases solve models, pins
// to solve for, a boolean), carried into the cells, and part of the cell id only when on.
import { describe, expect, it } from 'vitest';
import { cellIdentity } from '../../../src/matrix/cell.js';
import { expandMatrix } from '../../../src/matrix/expand.js';
import { formatProblem, parseMatrixText } from '../../../src/matrix/parse.js';

const ctx = { dir: '/m', fragments: new Map(), baseFiles: new Map() };

const matrix = (config: string) => `sources: [debian:6.12]
architectures: [arm, x86_64]
configs:
  - name: c
${config
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;

function problems(text: string): string[] {
  const r = parseMatrixText(text, 'm.yaml');
  return r.ok ? [] : r.problems.map(formatProblem);
}

function cells(text: string) {
  const r = parseMatrixText(text, 'm.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return expandMatrix(r.matrix, ctx).cells;
}

describe('solve in a matrix config', () => {
  it('refuses bases solve does not model, configs without pins, and non-booleans, at their line', () => {
    expect(
      problems(matrix('base: randconfig\nseeds: 2\npins: [CRASH_DUMP=y]\nsolve: true')),
    ).toEqual([
      'm.yaml:8:12: configs[0].solve: solve only applies to base defconfig, tinyconfig or file:PATH (base is randconfig: its pins reach conf through KCONFIG_ALLCONFIG, which solve does not model) (found true)',
    ]);
    expect(problems(matrix('base: allnoconfig\npins: [CRASH_DUMP=y]\nsolve: true'))).toEqual([
      expect.stringMatching(/^m\.yaml:7:12: configs\[0\]\.solve: .*\(base is allnoconfig/),
    ]);
    expect(problems(matrix('base: tinyconfig\nsolve: true'))).toEqual([
      'm.yaml:6:12: configs[0].solve: solve needs pins (or fragments) to solve for; this config has none (found true)',
    ]);
    expect(problems(matrix('base: tinyconfig\npins: [KEXEC=n]\nsolve: yes'))).toEqual([
      expect.stringMatching(/^m\.yaml:7:12: configs\[0\]\.solve: .*boolean.* \(found "yes"\)$/),
    ]);
    expect(problems(matrix('base: file:my.config\npins: [KEXEC=n]\nsolve: true'))).toEqual([]);
  });

  it('marks the cells, and changes their ids only when on', () => {
    const plain = cells(matrix('base: tinyconfig\npins: [CRASH_DUMP=y, KEXEC=n]'));
    const off = cells(matrix('base: tinyconfig\npins: [CRASH_DUMP=y, KEXEC=n]\nsolve: false'));
    const on = cells(matrix('base: tinyconfig\npins: [CRASH_DUMP=y, KEXEC=n]\nsolve: true'));
    expect(plain.map((c) => c.solve)).toEqual([undefined, undefined]);
    expect(on.map((c) => c.solve)).toEqual([true, true]);
    // cells written before solve existed keep their ids (and their history)
    expect(off.map((c) => c.id)).toEqual(plain.map((c) => c.id));
    expect(cellIdentity(plain[0]!)).not.toContain('solve');
    // a solve cell tests a different config than the same pins without it: a different cell
    expect(on.map((c) => c.id)).not.toEqual(expect.arrayContaining([plain[0]!.id]));
    expect(on.map((c) => c.id)).not.toEqual(expect.arrayContaining([plain[1]!.id]));
    // both in one matrix are two cells, not "identical cells kept once"
    const both = cells(`sources: [debian:6.12]
architectures: [arm]
configs:
  - {name: a, base: tinyconfig, pins: [CRASH_DUMP=y, KEXEC=n], build: false}
  - {name: b, base: tinyconfig, pins: [CRASH_DUMP=y, KEXEC=n], build: false, solve: true}
`);
    expect(both.map((c) => [c.config, c.solve ?? false])).toEqual([
      ['a', false],
      ['b', true],
    ]);
  });
});
