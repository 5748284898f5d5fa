// The agreement sweep behind kmatrix solve's claims (docs/solve.md, "Agreement with conf"):
// random sets of 2-4 pins of prompted bool/tristate symbols (src/solve/sample.ts, the same
// draw as the slow test's), base defconfig, spread over the arches; every satisfiable answer
// must hold when conf runs again on base + pins + extra pins, every unsatisfiable one must
// have each conflict confirmed by conf failing on that conflict's pins. Undecided answers
// are no claim: counted, not wrong. One conf session per tree and arch, kept for all its
// queries. CI runs a few fixed queries instead (test/slow/solve/agreement.test.ts); this is
// the large, slow run.
//
//   npm run build && node bench/solve-agreement.mjs [--trees 6.1,6.12,7.2]
//       [--per-tree N | --from I --to J] [--arches armhf,arm64,s390,x86_64] [--seed S]
//       [--results DIR] [--write-docs] [--merge-only]
//
// Runs in slices so a long sweep can be split (each slice in the shared heavy-job lock):
// every invocation runs queries --from .. --to - 1 (default 0 .. --per-tree - 1) of each
// tree's stream (the same queries whatever the slicing) and saves them as JSON in the
// results dir (default bench/results/solve-agreement, JSON lines). --write-docs then merges every saved
// slice of the same seed, arches and --max-extra (a query saved twice counts once: the last
// saved) and replaces the table between the solve-agreement markers in docs/solve.md;
// --merge-only runs nothing, only merges (and prints, or writes with --write-docs).
// Needs the Debian trees in the kmatrix cache (the slow tests fetch them).
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ARCHES } from '../dist/arch/arches.js';
import { modelFor } from '../dist/config/kconfig-bridge.js';
import { defaultCacheDir } from '../dist/fsutil/cache.js';
import { execaRunner } from '../dist/process/runner.js';
import { openConfChecker } from '../dist/solve/conf.js';
import { createSolveDeps } from '../dist/solve/deps.js';
import { checkClaim, drawQueries, treeSeed } from '../dist/solve/sample.js';
import { confSessions } from '../dist/solve/sessions.js';
import { solvePins } from '../dist/solve/solve.js';
import { resolveSource } from '../dist/source/resolve.js';

const { values: opts } = parseArgs({
  options: {
    'per-tree': { type: 'string', default: '200' },
    from: { type: 'string' },
    to: { type: 'string' },
    trees: { type: 'string', default: '6.1,6.12,7.2' },
    arches: { type: 'string', default: 'armhf,arm64,s390,x86_64' },
    seed: { type: 'string', default: '1' },
    'max-extra': { type: 'string', default: '12' },
    results: {
      type: 'string',
      default: fileURLToPath(new URL('results/solve-agreement', import.meta.url)),
    },
    'write-docs': { type: 'boolean', default: false },
    'merge-only': { type: 'boolean', default: false },
  },
});
const int = (name, v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name}: ${v} is not a whole number >= 0`);
    process.exit(2);
  }
  return n;
};
const SEED = int('seed', opts.seed);
const MAX_EXTRA = int('max-extra', opts['max-extra']);
const FROM = int('from', opts.from ?? '0');
const TO = int('to', opts.to ?? opts['per-tree']);
const archList = opts.arches.split(',').map((name) => {
  const a = ARCHES.find((x) => x.name === name);
  if (!a) {
    console.error(
      `--arches: unknown arch ${name} (known: ${ARCHES.map((x) => x.name).join(', ')})`,
    );
    process.exit(2);
  }
  return a;
});
const TREES = opts.trees.split(',');
const BASE = { kind: 'defconfig' };
const DOCS = new URL('../docs/solve.md', import.meta.url);
const BEGIN =
  '<!-- solve-agreement:begin (written by node bench/solve-agreement.mjs --write-docs) -->';
const END = '<!-- solve-agreement:end -->';
/** What makes two slices parts of one sweep. */
const SWEEP = {
  seed: SEED,
  arches: archList.map((a) => a.name),
  maxExtra: MAX_EXTRA,
  base: 'defconfig',
};
const sameSweep = (s) =>
  s.seed === SWEEP.seed &&
  s.maxExtra === SWEEP.maxExtra &&
  s.base === SWEEP.base &&
  s.arches.join(',') === SWEEP.arches.join(',');

const cacheDir = defaultCacheDir(process.env);

/** One query, its claim checked again with conf independently of the solver's own check. */
async function query(deps, tree, arch, pins) {
  const t = Date.now();
  const r = await solvePins(
    {
      tree,
      arches: [arch],
      toolchain: 'gcc',
      base: BASE,
      pins,
      forbid: [],
      keepBase: false,
      maxExtra: MAX_EXTRA,
    },
    deps,
  );
  const ms = Date.now() - t;
  const v = r.arches[0].verdict;
  const conf = await deps.sharedConf(tree, arch, 'gcc', BASE);
  const check = await checkClaim(v, { pins, forbid: [], conf, model: await modelFor(tree, arch) });
  return { verdict: v.kind, ...check, ms };
}

/** Queries FROM .. TO - 1 of one tree, saved as one slice file. */
async function runSlice(deps, version) {
  const tree = await resolveSource(
    { kind: 'debian', version },
    { runner: execaRunner, cacheDir, cwd: process.cwd(), emit: () => {} },
  );
  const sessions = confSessions((t, arch, toolchain, base) =>
    openConfChecker(t, arch, toolchain, base, deps),
  );
  deps.sharedConf = sessions.get;
  const started = Date.now();
  const queries = await drawQueries({
    arches: archList,
    seed: treeSeed(SEED, version),
    from: FROM,
    to: TO,
    model: (arch) => modelFor(tree, arch),
  });
  const outcomes = [];
  try {
    for (const q of queries) {
      const o = await query(deps, tree, q.arch, q.pins);
      const pins = q.pins.map((p) => `${p.symbol}=${p.value}`);
      outcomes.push({ index: q.index, arch: q.arch.name, pins, ...o });
      console.log(
        `${version} ${q.arch.name} #${q.index}: ${pins.join(' ')} -> ${o.verdict}${o.detail ? ` [${o.detail}]` : ''} ${o.agrees ? 'ok' : o.wrong ? 'WRONG' : 'no claim'} (${(o.ms / 1000).toFixed(1)}s)`,
      );
    }
  } finally {
    await sessions.close();
  }
  const head = {
    ...SWEEP,
    tree: version,
    from: FROM,
    to: TO,
    savedAt: Date.now(),
    wallMs: Date.now() - started,
  };
  await mkdir(opts.results, { recursive: true });
  // JSON lines: the slice first, then one query a line
  const file = join(opts.results, `${version}-seed${SEED}-${FROM}-${TO}.jsonl`);
  await writeFile(file, [head, ...outcomes].map((x) => JSON.stringify(x) + '\n').join(''));
  console.log(
    `${version}: queries ${FROM}..${TO - 1} in ${((Date.now() - started) / 1000).toFixed(0)} s, saved ${file}`,
  );
}

/** Every saved slice of this sweep, merged per tree: query index -> outcome (last saved wins). */
async function mergeSlices() {
  let names = [];
  try {
    names = (await readdir(opts.results)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  const slices = [];
  for (const n of names) {
    const [head, ...outcomes] = (await readFile(join(opts.results, n), 'utf8'))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l));
    slices.push({ ...head, outcomes });
  }
  slices.sort((a, b) => a.savedAt - b.savedAt);
  const byTree = new Map(TREES.map((t) => [t, { byIndex: new Map(), wallMs: 0 }]));
  for (const s of slices) {
    const t = byTree.get(s.tree);
    if (!t || !sameSweep(s)) continue;
    for (const o of s.outcomes) t.byIndex.set(o.index, o);
    t.wallMs += s.wallMs;
  }
  return byTree;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? 0
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function rowOf(version, byIndex) {
  const outcomes = [...byIndex.values()];
  const n = outcomes.length;
  // the queries 0 .. n-1 of the stream, no gap (a gap would be a sample nobody drew)
  const gaps = [];
  for (let i = 0; i < n; i++) if (!byIndex.has(i)) gaps.push(i);
  const count = (k) => outcomes.filter((o) => o.verdict === k).length;
  return {
    version,
    n,
    gaps,
    holds: count('holds'),
    satisfiable: count('satisfiable'),
    unsatisfiable: count('unsatisfiable'),
    undecided: count('undecided'),
    wrong: outcomes.filter((o) => o.wrong).length,
    agree: outcomes.filter((o) => o.agrees).length,
    medianMs: median(outcomes.map((o) => o.ms)),
  };
}

if (!opts['merge-only']) {
  const deps = await createSolveDeps({
    runner: execaRunner,
    cacheDir,
    env: process.env,
    emit: () => {},
    jobs: 2,
  });
  for (const version of TREES) await runSlice(deps, version);
}

const merged = await mergeSlices();
const rows = [...merged].filter(([, t]) => t.byIndex.size > 0).map(([v, t]) => rowOf(v, t.byIndex));
for (const r of rows) {
  console.log(
    `${r.version}: ${r.agree}/${r.n} agree with conf (${((100 * r.agree) / r.n).toFixed(1)}%): ${r.holds} hold already, ${r.satisfiable} satisfiable, ${r.unsatisfiable} unsatisfiable, ${r.undecided} undecided, ${r.wrong} wrong; median ${(r.medianMs / 1000).toFixed(1)}s per query${r.gaps.length ? `; MISSING queries ${r.gaps.join(',')}` : ''}`,
  );
}
const table = [
  `Arches ${archList.map((a) => a.name).join(', ')} in turn, seed ${SEED}, --max-extra ${MAX_EXTRA}:`,
  '',
  '| tree | queries | holds | satisfiable | unsatisfiable | undecided | wrong | agreement | median per query |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.version} | ${r.n} | ${r.holds} | ${r.satisfiable} | ${r.unsatisfiable} | ${r.undecided} | ${r.wrong} | ${((100 * r.agree) / r.n).toFixed(1)}% | ${(r.medianMs / 1000).toFixed(1)} s |`,
  ),
].join('\n');
console.log(`\n${table}`);
if (opts['write-docs']) {
  const gappy = rows.filter((r) => r.gaps.length > 0);
  if (gappy.length > 0) {
    console.error(
      `not writing docs/solve.md: saved slices leave gaps (${gappy.map((r) => `${r.version}: ${r.gaps.length} missing`).join('; ')})`,
    );
    process.exit(2);
  }
  const text = await readFile(DOCS, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/solve.md has no ${BEGIN} ... ${END} markers`);
  await writeFile(DOCS, `${text.slice(0, a + BEGIN.length)}\n${table}\n${text.slice(b)}`);
  console.log('docs/solve.md: agreement table written');
}
process.exitCode = rows.some((r) => r.wrong > 0) ? 1 : 0;
