// The agreement sweep behind kmatrix solve's claims (docs/solve.md, "Agreement with conf"):
// random sets of 2-4 pins of prompted bool/tristate symbols, base defconfig, spread over the
// arches; every satisfiable answer must hold when conf runs again on base + pins + extra
// pins, every unsatisfiable one must have each conflict confirmed by conf failing on that
// conflict's pins. Undecided answers are no claim: counted, not wrong. One conf session per
// tree and arch, kept for all its queries. CI runs a few fixed queries instead
// (test/slow/solve/agreement.test.ts); this is the large, slow run.
//
//   npm run build && node bench/solve-agreement.mjs [--per-tree N] [--trees 6.1,6.12,7.2]
//       [--arches armhf,arm64,s390,x86_64] [--seed S] [--write-docs]
//
// --write-docs replaces the table between the solve-agreement markers in docs/solve.md.
// Needs the Debian trees in the kmatrix cache (the slow tests fetch them).
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ARCHES } from '../dist/arch/arches.js';
import { modelFor } from '../dist/config/kconfig-bridge.js';
import { pinStatus } from '../dist/config/verify.js';
import { defaultCacheDir } from '../dist/fsutil/cache.js';
import { execaRunner } from '../dist/process/runner.js';
import { openConfChecker } from '../dist/solve/conf.js';
import { createSolveDeps } from '../dist/solve/deps.js';
import { solvePins } from '../dist/solve/solve.js';
import { resolveSource } from '../dist/source/resolve.js';

const { values: opts } = parseArgs({
  options: {
    'per-tree': { type: 'string', default: '200' },
    trees: { type: 'string', default: '6.1,6.12,7.2' },
    arches: { type: 'string', default: 'armhf,arm64,s390,x86_64' },
    seed: { type: 'string', default: '1' },
    'max-extra': { type: 'string', default: '12' },
    'write-docs': { type: 'boolean', default: false },
  },
});
const PER_TREE = Number(opts['per-tree']);
const MAX_EXTRA = Number(opts['max-extra']);
const archList = opts.arches.split(',').map((name) => {
  const a = ARCHES.find((x) => x.name === name);
  if (!a) throw new Error(`--arches: unknown arch ${name}`);
  return a;
});
const BASE = { kind: 'defconfig' };
const DOCS = new URL('../docs/solve.md', import.meta.url);
const BEGIN =
  '<!-- solve-agreement:begin (written by node bench/solve-agreement.mjs --write-docs) -->';
const END = '<!-- solve-agreement:end -->';

/** mulberry32: reproducible pin sets from a seed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function randomPins(model, rand) {
  const cands = model
    .boolSymbols()
    .filter((s) => !s.isChoice && s.props.some((p) => p.kind === 'prompt'));
  const k = 2 + Math.floor(rand() * 3);
  const pins = [];
  while (pins.length < k) {
    const s = cands[Math.floor(rand() * cands.length)];
    if (pins.some((p) => p.symbol === s.name)) continue;
    const vals = s.type === 'tristate' ? ['y', 'm', 'n'] : ['y', 'n'];
    pins.push({ symbol: s.name, value: vals[Math.floor(rand() * vals.length)], origin: '--set' });
  }
  return pins;
}

const cacheDir = defaultCacheDir(process.env);
const deps = await createSolveDeps({
  runner: execaRunner,
  cacheDir,
  env: process.env,
  emit: () => {},
  jobs: 2,
});
let sessions = new Map();
deps.sharedConf = (tree, arch, toolchain, base) => {
  const key = `${tree.path} ${arch.name}`;
  if (!sessions.has(key)) sessions.set(key, openConfChecker(tree, arch, toolchain, base, deps));
  return sessions.get(key);
};

/** One query, its claim checked again with conf independently of the solver's own check. */
async function query(tree, arch, pins) {
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
  const out = (agrees, detail) => ({
    verdict: v.kind,
    agrees,
    wrong: !agrees && v.kind !== 'undecided',
    detail,
    ms,
  });
  const model = await modelFor(tree, arch);
  const conf = await deps.sharedConf(tree, arch, 'gcc', BASE);
  switch (v.kind) {
    case 'holds':
    case 'satisfiable': {
      const extra = v.kind === 'satisfiable' ? v.extra.map((e) => ({ ...e, origin: 'solve' })) : [];
      const values = await conf.resolve([...pins, ...extra]);
      const bad = pins.filter((p) => pinStatus(p, values, model).status !== 'holds');
      return out(bad.length === 0, extra.map((e) => `${e.symbol}=${e.value}`).join(' '));
    }
    case 'unsatisfiable':
      return out(
        v.cores.every((c) => c.confirmedByConf),
        v.cores.map((c) => c.pins.join(',')).join(' | '),
      );
    case 'undecided':
      return out(false, v.reason);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? 0
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const rows = [];
for (const version of opts.trees.split(',')) {
  const tree = await resolveSource(
    { kind: 'debian', version },
    { runner: execaRunner, cacheDir, cwd: process.cwd(), emit: () => {} },
  );
  const rand = rng(Number(opts.seed) * 1000 + Number(version.replace('.', '')));
  const outcomes = [];
  for (let i = 0; i < PER_TREE; i++) {
    const arch = archList[i % archList.length];
    const pins = await randomPins(await modelFor(tree, arch), rand);
    const o = await query(tree, arch, pins);
    outcomes.push(o);
    const names = pins.map((p) => `${p.symbol}=${p.value}`).join(' ');
    console.log(
      `${version} ${arch.name} #${i}: ${names} -> ${o.verdict}${o.detail ? ` [${o.detail}]` : ''} ${o.agrees ? 'ok' : o.wrong ? 'WRONG' : 'no claim'} (${(o.ms / 1000).toFixed(1)}s)`,
    );
  }
  for (const c of sessions.values()) await (await c).close();
  sessions = new Map();
  const count = (k) => outcomes.filter((o) => o.verdict === k).length;
  const row = {
    version,
    n: outcomes.length,
    holds: count('holds'),
    satisfiable: count('satisfiable'),
    unsatisfiable: count('unsatisfiable'),
    undecided: count('undecided'),
    wrong: outcomes.filter((o) => o.wrong).length,
    agree: outcomes.filter((o) => o.agrees).length,
    medianMs: median(outcomes.map((o) => o.ms)),
  };
  rows.push(row);
  console.log(
    `${version}: ${row.agree}/${row.n} agree with conf (${((100 * row.agree) / row.n).toFixed(1)}%): ${row.holds} hold already, ${row.satisfiable} satisfiable, ${row.unsatisfiable} unsatisfiable, ${row.undecided} undecided, ${row.wrong} wrong; median ${(row.medianMs / 1000).toFixed(1)}s per query`,
  );
}

const table = [
  `Arches ${archList.map((a) => a.name).join(', ')} in turn, seed ${opts.seed}, --max-extra ${MAX_EXTRA}:`,
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
  const text = await readFile(DOCS, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/solve.md has no ${BEGIN} ... ${END} markers`);
  await writeFile(DOCS, `${text.slice(0, a + BEGIN.length)}\n${table}\n${text.slice(b)}`);
  console.log('docs/solve.md: agreement table written');
}
process.exitCode = rows.some((r) => r.wrong > 0) ? 1 : 0;
