// A randconfig failure on a tree without history is minimized to the planted symbols: a
// hardlink copy of Debian's 6.1 whose init/main.c fails with `#error` when two symbols A and B
// are both set, A and B picked at test time among the symbols armel randconfig (seed 1,
// probability 5) sets and tinyconfig does not, such that only the symbol itself can set it
// (a bool with a prompt, no default, nothing selects or implies it). `kmatrix run` triages the
// new failure: no culprit (a path has no history, and says so), the smallest config against
// triage.good_config tinyconfig is exactly A=y B=y, confirmed by a full build, each explained.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findArch } from '../../../src/arch/arches.js';
import { parseDotConfig } from '../../../src/config/dotconfig.js';
import { loadKconfigModel, type KconfigModel } from '../../../src/kconfig/index.js';
import { treePath } from '../../helpers/trees.js';
import { requireDaemon } from '../runtime/docker-helpers.js';
import { kmatrix } from '../../helpers/cli.js';

let work: string;
let tree: string;
let planted: [string, string];

/** Only the symbol itself can make it y: a prompt, no default, no select or imply. */
function settableAlone(model: KconfigModel, name: string): boolean {
  const s = model.symbol(name);
  return (
    !!s &&
    s.type === 'bool' &&
    !s.choice &&
    s.nodes.length === 1 &&
    s.revDep === undefined &&
    s.implied === undefined &&
    s.props.some((p) => p.kind === 'prompt') &&
    !s.props.some((p) => p.kind === 'default')
  );
}

async function config(args: string[]): Promise<Map<string, string>> {
  const r = await kmatrix(work, ['config', '--source', tree, '--arch', 'armel', '--json', ...args]);
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(r.stderr);
  return parseDotConfig(await readFile(JSON.parse(r.stdout).configPath, 'utf8'));
}

beforeAll(async () => {
  await requireDaemon();
  work = await mkdtemp(join(tmpdir(), 'kmatrix-triage-min-'));
  tree = join(work, 'linux');
  // A hardlink copy (same filesystem as the cache): only init/main.c is a file of its own.
  await execa('cp', ['-al', treePath('6.1'), tree]);
  const rand = await config([
    '--base',
    'randconfig',
    '--seed',
    '1',
    '--probability',
    '5',
    '--out',
    'rand',
  ]);
  const tiny = await config(['--base', 'tinyconfig', '--out', 'tiny']);
  const model = await loadKconfigModel({ srcTree: tree, arch: findArch('armel')! });
  const candidates = [...rand]
    .filter(([s, v]) => v === 'y' && (tiny.get(s) ?? 'n') === 'n' && settableAlone(model, s))
    .map(([s]) => s);
  // The first pair that holds on tinyconfig by itself.
  for (let i = 0; i + 1 < candidates.length && !planted; i += 2) {
    const [a, b] = [candidates[i]!, candidates[i + 1]!];
    const both = await config([
      '--base',
      'tinyconfig',
      '--set',
      `${a}=y`,
      '--set',
      `${b}=y`,
      '--out',
      `pair-${i}`,
    ]);
    if (both.get(a) === 'y' && both.get(b) === 'y') planted = [a, b];
  }
  if (!planted) throw new Error(`no pair of symbols to plant among ${candidates.join(' ')}`);
  const main = join(tree, 'init/main.c');
  const text = await readFile(main, 'utf8');
  await rm(main); // break the hardlink: the cached tree stays as it is
  await writeFile(
    main,
    `${text}\n#if defined(CONFIG_${planted[0]}) && defined(CONFIG_${planted[1]})\n#error "kmatrix planted: ${planted[0]} and ${planted[1]}"\n#endif\n`,
  );
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('triage of a randconfig failure on a tree without history', () => {
  it('minimizes the config to the two planted symbols and says why there is no culprit', async () => {
    await writeFile(
      join(work, 'matrix.yaml'),
      `name: rand-min
sources: [${tree}]
architectures: [armel]
runtime: docker
configs:
  - name: rand
    base: randconfig
    seeds: [1]
    probability: 5
triage:
  good_config: tinyconfig
`,
    );
    const r = await kmatrix(work, ['run', '--json', '--results', 'res']);
    expect(r.exitCode, r.stderr).toBe(1);
    const summary = JSON.parse(r.stdout);
    const cell = summary.cells[0];
    expect(cell).toMatchObject({ status: 'fail', change: 'new-failure' });
    expect(cell.why.errors[0].message).toBe(
      `#error "kmatrix planted: ${planted[0]} and ${planted[1]}"`,
    );
    const t = cell.triage;
    expect(t).toMatchObject({
      status: 'done',
      culprit: null,
      suspect: null,
      verification: 'not-run',
      search: {
        method: 'none',
        note: expect.stringMatching(/has no history to bisect .* the config is minimized only/),
      },
      minimalConfig: [...planted].sort().map((symbol) => ({ symbol, value: 'y' })),
      minimization: {
        outcome: 'found',
        good: "triage.good_config tinyconfig with the cell's pins",
      },
    });
    expect(t.reason).toMatch(/has no history to bisect/);
    for (const s of t.minimization.symbols)
      expect(s).toMatchObject({ from: 'n', why: expect.stringMatching(new RegExp(s.symbol)) });
    const mail = await readFile(join(summary.runDir, t.report), 'utf8');
    expect(mail).toContain(
      `smallest config: fails when CONFIG_${[...planted].sort()[0]}=y and CONFIG_${[...planted].sort()[1]}=y`,
    );
  });
});
