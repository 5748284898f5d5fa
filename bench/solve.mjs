// kmatrix solve vs a conf-driven search over the same candidates, side by side.
// For each query: the solver's time to its (conf-checked) answer, and the time a search
// that only runs conf takes over the same candidate extra pins (the cone's prompted
// symbols, nearest to the pins first, breadth first by number of pins) until the pins
// hold, or until its budget of conf runs is spent (then its time is a lower bound, and for
// an unsatisfiable query the search can never say "no"). The conf session (make base) is
// shared and not timed for either side.
//
//   npm run build && node bench/solve.mjs [--budget N]
//
// Needs the Debian trees in the kmatrix cache (the slow tests fetch them).
import { ARCHES } from '../dist/arch/arches.js';
import { parseConfigLines, parseDotConfig } from '../dist/config/dotconfig.js';
import { modelFor } from '../dist/config/kconfig-bridge.js';
import { pinStatus } from '../dist/config/verify.js';
import { defaultCacheDir } from '../dist/fsutil/cache.js';
import { exprSymbols } from '../dist/kconfig/expr.js';
import { execaRunner } from '../dist/process/runner.js';
import { openConfChecker } from '../dist/solve/conf.js';
import { createSolveDeps } from '../dist/solve/deps.js';
import { encode } from '../dist/solve/encode.js';
import { confSessions } from '../dist/solve/sessions.js';
import { solvePins } from '../dist/solve/solve.js';
import { resolveSource } from '../dist/source/resolve.js';

const budgetArg = process.argv.indexOf('--budget');
const BUDGET = budgetArg > 0 ? Number(process.argv[budgetArg + 1]) : 40;

const QUERIES = [
  { tree: '6.12', arch: 'x86_64', base: 'tinyconfig', pins: ['CRASH_DUMP=y', 'KEXEC=n'] },
  { tree: '6.12', arch: 'armhf', base: 'defconfig', pins: ['CRASH_DUMP=y', 'KEXEC=n'] },
  {
    tree: '6.1',
    arch: 's390',
    base: 'defconfig',
    pins: ['CRASH_DUMP=y', 'KEXEC=n', 'KEXEC_FILE=y'],
  },
  { tree: '6.12', arch: 'x86_64', base: 'defconfig', pins: ['SND_SOC_WM8776=m', 'FIREWIRE_NET=n'] },
  {
    tree: '6.12',
    arch: 'x86_64',
    base: 'defconfig',
    pins: ['AXP288_ADC=m', 'SND_SOC_FSL_AUD2HTX=n'],
  },
  { tree: '7.2', arch: 'x86_64', base: 'tinyconfig', pins: ['USB_STORAGE=m'] },
];

const cacheDir = defaultCacheDir(process.env);
const deps = await createSolveDeps({
  runner: execaRunner,
  cacheDir,
  env: process.env,
  emit: () => {},
  jobs: 2,
});
const sessions = confSessions((tree, arch, toolchain, base) =>
  openConfChecker(tree, arch, toolchain, base, deps),
);
deps.sharedConf = sessions.get;

const pin = (t) => {
  const [symbol, value] = t.split('=');
  return { symbol, value, origin: '--set' };
};

/** The solver's candidates (prompted cone symbols), nearest to the pins first. */
function candidates(model, conf, pins) {
  const enc = encode({
    model,
    arch: 'bench',
    pins,
    base: parseDotConfig(conf.baseText),
    baseOrder: parseConfigLines(conf.baseText).map((l) => l.symbol),
    baseValues: conf.baseValues,
  });
  const inCone = new Set(enc.extras.map((e) => e.sym));
  const dist = new Map();
  let frontier = pins.map((p) => model.symbol(p.symbol)).filter(Boolean);
  for (let d = 0; frontier.length > 0; d++) {
    const next = [];
    for (const s of frontier) {
      if (dist.has(s)) continue;
      dist.set(s, d);
      const refs = [];
      exprSymbols(s.dirDep, refs);
      exprSymbols(s.revDep, refs);
      for (const p of s.props) exprSymbols(p.visible, refs);
      next.push(...refs.filter((r) => !r.isConst));
    }
    frontier = next;
  }
  const syms = [...inCone].sort((a, b) => (dist.get(a) ?? 1e9) - (dist.get(b) ?? 1e9));
  const out = [];
  for (const s of syms) {
    const base = conf.baseValues.get(s.name) ?? 'n';
    for (const v of s.type === 'tristate' ? ['y', 'm', 'n'] : ['y', 'n'])
      if (v !== base) out.push({ symbol: s.name, value: v, origin: 'search' });
  }
  return out;
}

/** Breadth first over subsets of the candidates (by size), one conf run each. */
async function confSearch(model, conf, pins, cands) {
  let runs = 0;
  const holds = (values) => pins.every((p) => pinStatus(p, values, model).status === 'holds');
  runs++;
  if (holds(await conf.resolve(pins))) return { found: [], runs };
  const bySize = function* (k, start = 0, acc = []) {
    if (acc.length === k) {
      yield acc;
      return;
    }
    for (let i = start; i < cands.length; i++) {
      if (acc.some((a) => a.symbol === cands[i].symbol)) continue;
      yield* bySize(k, i + 1, [...acc, cands[i]]);
    }
  };
  for (let k = 1; k <= 8; k++) {
    for (const extra of bySize(k)) {
      if (runs >= BUDGET) return { found: undefined, runs };
      runs++;
      if (holds(await conf.resolve([...pins, ...extra]))) return { found: extra, runs };
    }
  }
  return { found: undefined, runs };
}

const rows = [];
for (const q of QUERIES) {
  const tree = await resolveSource(
    { kind: 'debian', version: q.tree },
    { runner: execaRunner, cacheDir, cwd: process.cwd(), emit: () => {} },
  );
  const arch = ARCHES.find((a) => a.name === q.arch);
  const base = { kind: q.base };
  const pins = q.pins.map(pin);
  const model = await modelFor(tree, arch);
  const conf = await deps.sharedConf(tree, arch, 'gcc', base);
  let t = Date.now();
  const r = await solvePins(
    {
      tree,
      arches: [arch],
      toolchain: 'gcc',
      base,
      pins,
      forbid: [],
      keepBase: false,
      maxExtra: 8,
    },
    deps,
  );
  const solveMs = Date.now() - t;
  const v = r.arches[0].verdict;
  const answer =
    v.kind === 'satisfiable'
      ? `+${v.extra.map((e) => `${e.symbol}=${e.value}`).join(' ')}`
      : v.kind;
  t = Date.now();
  const cands = candidates(model, conf, pins);
  const s = await confSearch(model, conf, pins, cands);
  const searchMs = Date.now() - t;
  const searchText = s.found
    ? `+${s.found.map((e) => `${e.symbol}=${e.value}`).join(' ') || '(none)'}`
    : `none after ${s.runs} conf runs`;
  rows.push({ q, solveMs, searchMs, capped: !s.found, answer, searchText, runs: s.runs });
  console.log(
    `${q.tree} ${q.arch} ${q.base} ${q.pins.join(' ')}\n` +
      `  solve:  ${(solveMs / 1000).toFixed(1)}s  ${answer} (${r.arches[0].stats.confRuns} conf runs, ${r.arches[0].stats.satCalls} SAT calls, ${r.arches[0].stats.symbols} symbols)\n` +
      `  search: ${s.found ? '' : '>'}${(searchMs / 1000).toFixed(1)}s  ${searchText} (${cands.length} candidates)\n` +
      `  ratio solve/search: ${s.found ? '' : '<'}${(solveMs / searchMs).toFixed(3)}`,
  );
}
await sessions.close();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const solveMed = median(rows.map((r) => r.solveMs));
const searchMed = median(rows.map((r) => r.searchMs));
const capped = rows.filter((r) => r.capped).length;
console.log(
  `\nmedian per query: solve ${(solveMed / 1000).toFixed(1)}s, conf-driven search ${capped ? '>=' : ''}${(searchMed / 1000).toFixed(1)}s` +
    ` (${capped} of ${rows.length} searches hit the budget of ${BUDGET} conf runs without an answer)`,
);
console.log(
  `ratio of medians solve/search: ${capped ? '<=' : ''}${(solveMed / searchMed).toFixed(3)}; total ${(rows.reduce((a, r) => a + r.solveMs, 0) / 1000).toFixed(1)}s vs ${capped ? '>=' : ''}${(rows.reduce((a, r) => a + r.searchMs, 0) / 1000).toFixed(1)}s`,
);
