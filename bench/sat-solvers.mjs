// The SAT solver candidates for kmatrix solve on one of its real formulas: the 6.1 x86_64
// cone of CRASH_DUMP=y KEXEC=n KEXEC_FILE=y, every fact assumed. Debian's CLIs through
// DIMACS (cadical, picosat, minisat), and the npm candidates when installed next to it
// (not dependencies of kmatrix: `npm i --no-save logic-solver@2.0.1 z3-solver@5.2.0`).
//
//   npm run build && node bench/sat-solvers.mjs
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARCHES } from '../dist/arch/arches.js';
import { modelFor } from '../dist/config/kconfig-bridge.js';
import { defaultCacheDir } from '../dist/fsutil/cache.js';
import { execaRunner } from '../dist/process/runner.js';
import { openConfChecker } from '../dist/solve/conf.js';
import { parseConfigLines, parseDotConfig } from '../dist/config/dotconfig.js';
import { encode } from '../dist/solve/encode.js';
import { resolveSource } from '../dist/source/resolve.js';
import { execa } from 'execa';

const cacheDir = defaultCacheDir(process.env);
const tree = await resolveSource(
  { kind: 'debian', version: '6.1' },
  { runner: execaRunner, cacheDir, cwd: process.cwd(), emit: () => {} },
);
const arch = ARCHES.find((a) => a.name === 'x86_64');
const dir = mkdtempSync(join(tmpdir(), 'kmatrix-satbench-'));
const conf = await openConfChecker(
  tree,
  arch,
  'gcc',
  { kind: 'defconfig' },
  {
    runner: execaRunner,
    cacheDir,
    env: process.env,
    emit: () => {},
    scratch: dir,
    limit: (f) => f(),
  },
);
const model = await modelFor(tree, arch);
let t = Date.now();
const enc = encode({
  model,
  arch: arch.name,
  pins: ['CRASH_DUMP=y', 'KEXEC=n', 'KEXEC_FILE=y'].map((p) => {
    const [symbol, value] = p.split('=');
    return { symbol, value, origin: '--set' };
  }),
  base: parseDotConfig(conf.baseText),
  baseOrder: parseConfigLines(conf.baseText).map((l) => l.symbol),
  baseValues: conf.baseValues,
});
await conf.close();
const encodeMs = Date.now() - t;
const assume = enc.facts.map((f) => f.lit);
const cl = enc.cnf.clauses();
const lines = [];
let cur = [];
for (const l of cl) {
  cur.push(l);
  if (l === 0) {
    lines.push(cur.join(' '));
    cur = [];
  }
}
const body = lines.join('\n') + '\n';
const withUnits = `p cnf ${enc.cnf.nVars} ${enc.cnf.nClauses + assume.length}\n${body}${assume.map((a) => `${a} 0`).join('\n')}\n`;
const plain = `p cnf ${enc.cnf.nVars} ${enc.cnf.nClauses}\n${body}`;
const file = join(dir, 'f.cnf');
writeFileSync(file, withUnits);
console.log(
  `formula: ${enc.cnf.nVars} variables, ${enc.cnf.nClauses} clauses, ${assume.length} assumptions (encoded in ${encodeMs} ms)`,
);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function cli(name, args, input) {
  const ms = [];
  let rc;
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    const r = await execa(name, args, { input, reject: false });
    ms.push(Date.now() - t0);
    rc = r.exitCode;
  }
  console.log(`${name.padEnd(14)} median ${median(ms)} ms of 5 (exit ${rc})`);
}
await cli('cadical', ['-q', file]);
await cli('minisat', ['-verb=0', file, '/dev/null']);
await cli('picosat', [...assume.flatMap((a) => ['-a', String(a)]), '-n'], plain);

const require = createRequire(import.meta.url);
try {
  t = Date.now();
  const MiniSat = require('logic-solver/minisat_wrapper.js');
  const loadMs = Date.now() - t;
  t = Date.now();
  const s = new MiniSat();
  for (const line of lines) s.addClause(line.split(' ').map(Number).slice(0, -1));
  for (const a of assume) s.addClause([a]);
  s.ensureVar(enc.cnf.nVars);
  const addMs = Date.now() - t;
  t = Date.now();
  s.solve();
  const solveMs = Date.now() - t;
  t = Date.now();
  s.ensureVar(enc.cnf.nVars + 1);
  s.solveAssuming(enc.cnf.nVars + 1);
  console.log(
    `logic-solver   load ${loadMs} ms, add ${addMs} ms, first solve ${solveMs} ms, re-solve ${Date.now() - t} ms (one assumption literal, no cores)`,
  );
} catch (e) {
  console.log(`logic-solver   not installed (${String(e).split('\n')[0]})`);
}
try {
  t = Date.now();
  const { init } = require('z3-solver');
  const { Z3, Context } = await init();
  const initMs = Date.now() - t;
  const ctx = new Context('main');
  const solver = new ctx.Solver();
  t = Date.now();
  Z3.solver_from_string(ctx.ptr, solver.ptr, withUnits);
  const loadMs = Date.now() - t;
  t = Date.now();
  const r = await solver.check();
  console.log(
    `z3-solver      init ${initMs} ms, load ${loadMs} ms, check ${Date.now() - t} ms (${r})`,
  );
} catch (e) {
  console.log(`z3-solver      not installed (${String(e).split('\n')[0]})`);
}
rmSync(dir, { recursive: true, force: true });
process.exit(0);
