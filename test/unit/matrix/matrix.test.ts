// Matrix files: validation (every problem at once, with file:line:column), expansion into
// cells with content-derived ids, include/exclude rules, and --filter.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadMatrix } from '../../../src/matrix/load.js';
import { expandMatrix } from '../../../src/matrix/expand.js';
import { applyFilters, parseFilter } from '../../../src/matrix/filter.js';
import { formatProblem, parseMatrixText } from '../../../src/matrix/parse.js';
import type { MatrixFile } from '../../../src/matrix/schema.js';

const ctx = { dir: '/m', fragments: new Map(), baseFiles: new Map() };

function parse(text: string): MatrixFile {
  const r = parseMatrixText(text, 'm.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.matrix;
}

const SEED = `name: nightly
sources: [debian:6.1, debian:6.12]
architectures: [arm, arm64, s390, x86_64]
configs:
  - name: crash-dump-no-kexec
    base: defconfig
    pins: [CRASH_DUMP=y, KEXEC=n, KEXEC_FILE=y]
    build: false
  - name: tiny
    base: tinyconfig
    pins: [CRASH_DUMP=y]
  - name: rand
    base: randconfig
    seeds: 2
    probability: 5
    pins: [CRASH_DUMP=y, KEXEC=n]
exclude:
  - config: rand
    arch: [arm64, s390, x86_64]
`;

describe('validation', () => {
  it('reports three mistakes as three messages with line:column, value found and what is accepted', () => {
    const text = `sources: [debian:6.1]
architectures: [arm, sparc]
configs:
  - name: a
    base: defconfg
    pins: [KEXEC]
`;
    const r = parseMatrixText(text, 'matrix.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^matrix\.yaml:2:22: architectures\[1\]: unknown architecture; accepted: x86_64 .*arm64.* \(found "sparc"\)$/,
      ),
      expect.stringMatching(
        /^matrix\.yaml:5:11: configs\[0\]\.base: unknown base; accepted: defconfig, allnoconfig, tinyconfig.* \(found "defconfg"\)$/,
      ),
      expect.stringMatching(
        /^matrix\.yaml:6:12: configs\[0\]\.pins\[0\]: not a pin; accepted: SYMBOL=VALUE.* \(found "KEXEC"\)$/,
      ),
    ]);
  });

  it('reports unknown keys at the key, missing keys at their parent, and bad rule references', () => {
    const r = parseMatrixText(
      `sources: [debian:6.1]
architecture: [arm]
configs:
  - base: tinyconfig
exclude:
  - config: nope
`,
      'f.yaml',
    );
    if (r.ok) throw new Error('expected problems');
    const msgs = r.problems.map(formatProblem);
    expect(msgs).toContainEqual(
      expect.stringMatching(/^f\.yaml:1:1: architectures: missing required key/),
    );
    expect(msgs).toContainEqual(
      expect.stringMatching(
        /^f\.yaml:2:1: architecture: unknown key "architecture"; accepted: name, sources, architectures/,
      ),
    );
    expect(msgs).toContainEqual(
      expect.stringMatching(/^f\.yaml:4:5: configs\[0\]\.name: missing required key/),
    );
    expect(msgs).toContainEqual(
      expect.stringMatching(/^f\.yaml:6:13: exclude\[0\]\.config: no config named "nope"/),
    );
  });

  it('rejects seeds on a non-random base and YAML syntax errors with positions', () => {
    const r = parseMatrixText(
      'sources: [debian:6.1]\narchitectures: [arm]\nconfigs:\n  - {name: a, base: tinyconfig, seeds: 3}\n',
      'f.yaml',
    );
    if (r.ok) throw new Error('expected problems');
    expect(r.problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^f\.yaml:4:\d+: configs\[0\]\.seeds: seeds only apply to base randconfig \(base is tinyconfig\) \(found 3\)$/,
      ),
    ]);
    const y = parseMatrixText('sources: [debian:6.1\narchitectures: [arm]\n', 'y.yaml');
    if (y.ok) throw new Error('expected problems');
    expect(formatProblem(y.problems[0]!)).toMatch(/^y\.yaml:\d+:\d+: YAML: /);
  });

  it('validates the triage block like the rest: each problem with position, value and what is accepted', () => {
    const r = parseMatrixText(
      `sources: [debian:6.1]
architectures: [arm]
configs:
  - {name: a, base: tinyconfig}
triage:
  max_failures: -1
  timeout: soon
  verify: yes please
  good_config: defconfg
  retry: 3
`,
      't.yaml',
    );
    if (r.ok) throw new Error('expected problems');
    expect(r.problems.map(formatProblem)).toEqual([
      't.yaml:6:17: triage.max_failures: max_failures must be at least 0 (found -1)',
      expect.stringMatching(
        /^t\.yaml:7:12: triage\.timeout: not a duration; accepted: a duration such as 90s, 30m or 2h \(found "soon"\)$/,
      ),
      't.yaml:8:11: triage.verify: expected boolean (found "yes please")',
      expect.stringMatching(
        /^t\.yaml:9:16: triage\.good_config: unknown base; accepted: defconfig, .*file:PATH \(found "defconfg"\)$/,
      ),
      't.yaml:10:3: triage.retry: unknown key "retry"; accepted: enabled, max_failures, timeout, verify, good_config',
    ]);
  });

  it('fills the triage defaults', () => {
    expect(parse(SEED).triage).toEqual({
      enabled: true,
      max_failures: 10,
      timeout: '2h',
      verify: true,
    });
  });

  it('accepts the repository matrix.yaml', async () => {
    const { readFile } = await import('node:fs/promises');
    const r = parseMatrixText(await readFile('matrix.yaml', 'utf8'), 'matrix.yaml');
    expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([]);
  });
});

describe('expansion', () => {
  it('crosses sources x arches x configs x seeds, minus exclusions', () => {
    const { cells, warnings } = expandMatrix(parse(SEED), ctx);
    expect(warnings).toEqual([]);
    // 2 sources x (4 defconfig + 4 tiny + 2 rand seeds on arm only)
    expect(cells).toHaveLength(20);
    const rand = cells.filter((c) => c.config === 'rand');
    expect(rand.map((c) => `${c.source} ${c.arch} ${c.variant}`)).toEqual([
      'debian:6.1 armhf rand@1',
      'debian:6.1 armhf rand@2',
      'debian:6.12 armhf rand@1',
      'debian:6.12 armhf rand@2',
    ]);
    expect(rand[0]!.base).toEqual({ kind: 'randconfig', seed: '1', probability: '5' });
    expect(cells.find((c) => c.config === 'crash-dump-no-kexec')!).toMatchObject({
      build: false,
      toolchain: 'gcc',
      pins: [
        { symbol: 'CRASH_DUMP', value: 'y' },
        { symbol: 'KEXEC', value: 'n' },
        { symbol: 'KEXEC_FILE', value: 'y' },
      ],
    });
    expect(new Set(cells.map((c) => c.id)).size).toBe(20);
    for (const c of cells) expect(c.id).toMatch(/^[0-9a-f]{12}$/);
  });

  it('gives ids that depend on content only: stable across reordering and renaming', () => {
    const a = expandMatrix(parse(SEED), ctx).cells;
    const reordered = SEED.replace('[arm, arm64, s390, x86_64]', '[x86_64, s390, aarch64, arm]')
      .replace('[debian:6.1, debian:6.12]', '[debian:6.12, debian:6.1]')
      .replace(
        '[CRASH_DUMP=y, KEXEC=n, KEXEC_FILE=y]',
        '[KEXEC_FILE=y, CONFIG_KEXEC=n, CRASH_DUMP=y]',
      )
      .replace(/name: tiny$/m, 'name: tiny-renamed')
      .replace('config: rand', 'config: rand');
    const b = expandMatrix(parse(reordered), ctx).cells;
    const key = (c: (typeof a)[number]) =>
      `${c.source} ${c.arch} ${c.base.kind} ${c.base.kind === 'randconfig' ? c.base.seed : ''}`;
    const idsA = new Map(a.map((c) => [key(c), c.id]));
    const idsB = new Map(b.map((c) => [key(c), c.id]));
    expect(idsB).toEqual(idsA);
    // but a different pin value is a different cell
    const changed = expandMatrix(
      parse(SEED.replace('pins: [CRASH_DUMP=y]', 'pins: [CRASH_DUMP=n]')),
      ctx,
    ).cells;
    expect(changed.find((c) => c.config === 'tiny')!.id).not.toBe(
      a.find((c) => c.config === 'tiny')!.id,
    );
  });

  it('adds include rules after exclusion (missing keys take every matrix value) and dedupes', () => {
    const m = parse(`sources: [debian:6.1]
architectures: [arm64]
configs:
  - name: tiny
    base: tinyconfig
  - name: rand
    base: randconfig
    seeds: [7, 9]
  - name: tiny2
    base: tinyconfig
exclude:
  - config: rand
include:
  - config: rand
    arch: riscv64
  - config: tiny
    arch: arm64
`);
    const { cells, warnings } = expandMatrix(m, ctx);
    expect(cells.map((c) => `${c.arch} ${c.variant}`)).toEqual([
      'arm64 tiny',
      'riscv64 rand@7',
      'riscv64 rand@9',
    ]);
    expect(warnings).toEqual([
      expect.stringMatching(/configs tiny and tiny2 give identical cells/),
    ]);
  });
});

describe('--filter', () => {
  const cells = expandMatrix(parse(SEED), ctx).cells;
  it('selects by key, alternatives, globs and id prefix; several filters are a union', () => {
    const pick = (...f: string[]) =>
      applyFilters(cells, f.map(parseFilter)).map((c) => `${c.source} ${c.arch} ${c.variant}`);
    expect(pick('arch=arm64,config=tiny')).toEqual([
      'debian:6.1 arm64 tiny',
      'debian:6.12 arm64 tiny',
    ]);
    expect(pick('source=debian:6.12,variant=rand@*')).toEqual([
      'debian:6.12 armhf rand@1',
      'debian:6.12 armhf rand@2',
    ]);
    expect(pick('arch=s390|x86_64,build=false')).toHaveLength(4);
    const id = cells[5]!.id;
    expect(applyFilters(cells, [parseFilter(id.slice(0, 6))]).map((c) => c.id)).toEqual([id]);
    expect(pick('config=tiny,arch=arm64', 'config=rand,source=debian:6.1')).toHaveLength(4);
  });
  it('reports every bad term with the syntax', () => {
    expect(() => parseFilter('colour=red,zz,arch=')).toThrow(
      /unknown key "colour".*"zz" is neither.*"arch=" has no value/,
    );
  });
});

describe('loadMatrix: triage', () => {
  it('resolves good_config against the matrix file and reports one that cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kmatrix-matrix-triage-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const text = (good: string) =>
      `sources: [debian:6.1]\narchitectures: [arm]\nconfigs:\n  - {name: a, base: tinyconfig}\ntriage:\n  timeout: 90m\n  good_config: ${good}\n`;
    await writeFile(join(dir, 'good.config'), 'CONFIG_A=y\n');
    await writeFile(join(dir, 'm.yaml'), text('file:good.config'));
    expect((await loadMatrix('m.yaml', dir)).triage).toEqual({
      enabled: true,
      maxFailures: 10,
      timeoutMs: 90 * 60_000,
      verify: true,
      goodConfig: { kind: 'file', path: join(dir, 'good.config') },
    });
    await writeFile(join(dir, 'm.yaml'), text('file:missing.config'));
    await expect(loadMatrix('m.yaml', dir)).rejects.toMatchObject({
      detail:
        'm.yaml:7:16: triage.good_config: cannot read good config file file:missing.config: no such file; accepted: a base name or file:PATH relative to the matrix file (found "file:missing.config")',
    });
    // Checked as a .config, like a base file.
    await writeFile(join(dir, 'junk.config'), 'CONFIG_A=y\nnot a config line\n');
    await writeFile(join(dir, 'm.yaml'), text('file:junk.config'));
    await expect(loadMatrix('m.yaml', dir)).rejects.toMatchObject({
      detail: expect.stringMatching(
        /^m\.yaml:7:16: triage\.good_config: .*junk\.config:2.*not a config line/,
      ),
    });
  });
});
