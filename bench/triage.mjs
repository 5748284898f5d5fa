// kmatrix's triage of the planted history against the same work scripted by hand. The
// history: Debian 6.1 as the base commit of a bare repository, then 30 commits with a build
// break on arm (CRASH_DUMP=y KEXEC=n) at 21 and "arm64: CRASH_DUMP selects KEXEC" at 9 (as
// test/slow/triage/planted.ts). kmatrix runs the matrix at the base commit and at the tip
// (not timed), then `kmatrix triage` is timed: both culprits found, verified (culprit, parent,
// revert), the smallest config, the reports. By hand (timed, in a clone made before the
// timer): `git bisect run` with a make + grep script for the build break, a `git revert`
// build; the same for the pin with make tinyconfig + olddefconfig + grep. Both must name the
// same commits. Run after `npm run build`:
//   node bench/triage.mjs [--source debian:6.1] [--runtime docker|local] [--rounds N] [--log F]
// (default docker, 1 round; with N rounds the sides alternate which goes first, and the
// median ratio is printed last)
// Each side starts with an empty ccache of its own and makes the nightly's two builds (base
// commit, then tip) before its timer: kmatrix with its two runs (a fresh KMATRIX_CACHE for the
// whole bench, so its triage finds what they built), by hand with the step scripts in the
// clones the bisects then run in (a fresh CCACHE_DIR, one clone per bisect, built in place
// as `git bisect run` does), so neither side starts cold. Prints both times and
// the ratio. With --runtime local the run's builds do not share the cache with triage's
// clones (docs/triage.md), so expect a higher ratio there.
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile, chmod, access } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { benchArgs } from './lib/source.mjs';

const { values, tree } = await benchArgs({
  runtime: { type: 'string', default: 'docker' },
  // --log FILE: kmatrix triage's progress lines, each with the seconds since it started.
  log: { type: 'string' },
  // --rounds N: the whole bench N times, sides alternating which goes first; the ratio of
  // each round and their median (one round swings by about +-0.05 on a shared machine).
  rounds: { type: 'string', default: '1' },
  // --keep: leave the last round's directory (history, runs, caches) and print how to run its
  // triage again, for measuring one change without the runs before it.
  keep: { type: 'boolean', default: false },
});
const CLI = resolve(process.env.KMATRIX_CLI ?? 'bin/kmatrix.js');
const shm = await access('/dev/shm').then(
  () => '/dev/shm',
  () => tmpdir(),
);
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds ${values.rounds}: give a whole number of rounds, 1 or more`);
// Each round starts from nothing: a new dir (history, caches, clones) for both sides.
let work = '';
let repo = '';
/** With --keep: the command that runs the kept round's triage again. */
let kept = '';
// A bench stopped with Ctrl-C or SIGTERM removes its dir too (it holds GBs on /dev/shm).
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
])
  process.once(sig, () => {
    if (work) rmSync(work, { recursive: true, force: true });
    process.exit(code);
  });
const say = (s) => process.stderr.write(`bench: ${s}\n`);
const ENV = {
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
};
const git = (args, o = {}) => execa('git', args, { env: ENV, maxBuffer: 256 * 1024 * 1024, ...o });

const GUARDED =
  '\n#if defined(CONFIG_CRASH_DUMP) && !defined(CONFIG_KEXEC)\nint kmatrix_needs_kexec(void) { return kmatrix_kexec_only_symbol; }\n#endif\n';
const KCONFIG_AT = 9;
const BUILD_AT = 21;

async function buildHistory() {
  await execa('git', ['init', '-q', '--bare', '-b', 'main', repo]);
  const idx = { ...ENV, GIT_WORK_TREE: tree.path, GIT_INDEX_FILE: join(repo, 'base-index') };
  const g = (args, input) =>
    execa('git', ['--git-dir', repo, '-c', 'core.looseCompression=0', ...args], {
      env: idx,
      input,
    });
  await g(['add', '-A', '-f', '--', '.', ':!.kmatrix-source']);
  const empty = (await g(['hash-object', '-w', '--stdin'], '')).stdout.trim();
  await g(['update-index', '--cacheinfo', `100644,${empty},.gitignore`]);
  const t = (await g(['write-tree'])).stdout.trim();
  const base = (
    await git(['--git-dir', repo, 'commit-tree', t, '-m', 'base: Debian tree'])
  ).stdout.trim();
  const files = new Map();
  const read = async (p) =>
    files.get(p) ??
    (await git(['--git-dir', repo, 'show', `${base}:${p}`], { stripFinalNewline: false })).stdout;
  const edit = async (p, f) => files.set(p, f(await read(p).catch(() => '')));
  const parts = [];
  for (let i = 1; i <= 30; i++) {
    let msg;
    let path;
    if (i === KCONFIG_AT) {
      msg = 'arm64: kexec: CRASH_DUMP selects KEXEC';
      path = 'arch/arm64/Kconfig';
      await edit(path, (s) =>
        s.replace(
          'config CRASH_DUMP\n\tbool "Build kdump crash kernel"',
          'config CRASH_DUMP\n\tbool "Build kdump crash kernel"\n\tselect KEXEC',
        ),
      );
    } else if (i === BUILD_AT) {
      msg = 'arm: crash_dump: use the kexec image';
      path = 'arch/arm/kernel/crash_dump.c';
      await edit(path, (s) => s + GUARDED);
    } else {
      const p = [
        'Documentation/kmatrix-note.txt',
        'arch/x86/Kconfig',
        'drivers/net/ethernet/intel/e1000/e1000_main.c',
        'arch/arm/kernel/setup.c',
        'mm/Kconfig',
      ][i % 5];
      msg = `filler ${i}`;
      path = p;
      await edit(p, (s) => s + (p.endsWith('.c') ? `/* kmatrix ${i} */\n` : `# kmatrix ${i}\n`));
    }
    const body = Buffer.from(files.get(path));
    const m = Buffer.from(msg + '\n');
    const when = 1704153600 + i * 3600;
    parts.push(
      `commit refs/heads/main\nmark :${i}\nauthor b <b@b> ${when} +0000\ncommitter b <b@b> ${when} +0000\ndata ${m.length}\n${msg}\n`,
    );
    if (i === 1) parts.push(`from ${base}\n`);
    parts.push(`M 100644 inline ${path}\ndata ${body.length}\n`, body, '\n\n');
  }
  await execa('git', ['--git-dir', repo, 'fast-import', '--quiet'], {
    input: Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p)))),
  });
  const shas = (await git(['--git-dir', repo, 'rev-list', '--reverse', 'main'])).stdout
    .trim()
    .split('\n');
  return shas; // shas[0] is the base
}

async function kmatrixSide(shas) {
  const dir = join(work, 'kmatrix');
  await execa('mkdir', ['-p', dir]);
  const env = {
    ...process.env,
    KMATRIX_CACHE: join(dir, 'cache'),
    KMATRIX_SCRATCH: join(dir, 'scratch'),
  };
  await writeFile(
    join(dir, 'matrix.yaml'),
    `name: bench-triage
sources: [git:${repo}@master]
architectures: [armel]
runtime: ${values.runtime}
configs:
  - name: tiny
    base: tinyconfig
  - name: crash
    base: tinyconfig
    pins: [CRASH_DUMP=y, KEXEC=n]
  - name: kexec-pin
    base: tinyconfig
    pins: [CRASH_DUMP=y, KEXEC=n]
    build: false
exclude:
  - config: kexec-pin
include:
  - config: kexec-pin
    arch: arm64
`,
  );
  const km = (args) => execa(process.execPath, [CLI, ...args], { cwd: dir, env, reject: false });
  await git(['--git-dir', repo, 'update-ref', 'refs/heads/master', shas[0]]);
  say('kmatrix run at the base commit (not timed)');
  const r1 = await km(['run', '--results', 'res', '--json']);
  if (r1.exitCode !== 0)
    throw new Error(`first run: exit ${r1.exitCode}\n${r1.stderr.slice(-3000)}`);
  await git(['--git-dir', repo, 'update-ref', 'refs/heads/master', shas[shas.length - 1]]);
  say('kmatrix run at the tip, --no-triage (not timed)');
  const r2 = await km(['run', '--results', 'res', '--json', '--no-triage']);
  if (r2.exitCode !== 1)
    throw new Error(`second run: exit ${r2.exitCode}\n${r2.stderr.slice(-3000)}`);
  const runId = JSON.parse(r2.stdout).runId;
  kept = `cd ${dir} && KMATRIX_CACHE=${env.KMATRIX_CACHE} KMATRIX_SCRATCH=${env.KMATRIX_SCRATCH} ${process.execPath} ${CLI} triage ${runId} --results res`;
  say('kmatrix triage (timed)');
  const t0 = performance.now();
  const child = km(['triage', runId, '--results', 'res', '--json']);
  const lines = [];
  let rest = '';
  child.stderr.on('data', (b) => {
    const parts = (rest + b.toString()).split('\n');
    rest = parts.pop();
    const at = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
    for (const l of parts) lines.push(`${at}s ${l}`);
  });
  const t = await child;
  const ms = performance.now() - t0;
  if (values.log) await writeFile(values.log, lines.join('\n') + '\n');
  if (t.exitCode !== 0) throw new Error(`triage: exit ${t.exitCode}\n${t.stderr.slice(-3000)}`);
  const cells = JSON.parse(t.stdout).cells.filter((c) => c.triage);
  kept += cells.map((c) => ` --cell ${c.id.slice(0, 12)}`).join('');
  const culprits = Object.fromEntries(
    cells.map((c) => [c.config, c.triage.culprit?.commit ?? null]),
  );
  return {
    ms,
    culprits,
    verification: cells.map((c) => `${c.config}:${c.triage.verification}`),
    phases: cells.map(phases),
  };
}

/** Where one failure's triage went: the search, each verification build, the minimization. */
function phases(c) {
  const t = c.triage;
  const s = (ms) => `${((ms ?? 0) / 1000).toFixed(1)}s`;
  const parts = [
    `search ${s(t.search.durationMs)} (${t.search.steps} step(s)${t.search.objects ? ', objects ' + t.search.objects.join(' ') : ''})`,
    ...t.verify.map((v) => `${v.what} ${s(v.ms)}`),
    ...(t.minimization
      ? [`minimize ${s(t.minimization.durationMs)} (${t.minimization.tests} test(s))`]
      : []),
  ];
  return `${c.config}: ${s(t.durationMs)} = ${parts.join(', ')}`;
}

const STEP = (arch, cross, pins, judge) => `#!/bin/sh
# One bisect step: the config as kmatrix makes it, then ${judge === 'build' ? 'the build and a grep' : 'a grep of the .config'}.
M="make -s O=out ARCH=${arch} CROSS_COMPILE=${cross}"
$M tinyconfig >/dev/null 2>&1 || exit 125
./scripts/config --file out/.config ${pins} || exit 125
$M olddefconfig >/dev/null 2>&1 || exit 125
${
  judge === 'build'
    ? `$M -j${availableParallelism()} zImage >out/build.log 2>&1 && exit 0
grep -q kmatrix_kexec_only_symbol out/build.log && exit 1
exit 125`
    : `grep -q '^CONFIG_KEXEC=y' out/.config && exit 1
exit 0`
}
`;

async function handSide(shas) {
  const good = shas[0];
  const bad = shas[shas.length - 1];
  const env = {
    ...ENV,
    ...process.env,
    PATH: `/usr/lib/ccache:${process.env.PATH}`,
    CCACHE_DIR: join(work, 'hand-ccache'),
  };
  const clone = async (name) => {
    const dir = join(work, name);
    await git(['clone', '-q', '--shared', repo, dir]);
    await git(['-C', dir, 'checkout', '-q', bad]);
    return dir;
  };
  const armDir = await clone('hand-arm');
  const arm64Dir = await clone('hand-arm64');
  const script = async (dir, text) => {
    const p = join(dir, '..', `${dir.split('/').pop()}-step.sh`);
    await writeFile(p, text);
    await chmod(p, 0o755);
    return p;
  };
  const buildStep = await script(
    armDir,
    STEP('arm', 'arm-linux-gnueabi-', '-e CRASH_DUMP -d KEXEC', 'build'),
  );
  const pinStep = await script(
    arm64Dir,
    STEP('arm64', 'aarch64-linux-gnu-', '-e CRASH_DUMP -d KEXEC', 'config'),
  );
  const bisectRun = async (dir, step) => {
    const x = { cwd: dir, env };
    await execa('git', ['bisect', 'start', '--first-parent', bad, good], x);
    await execa('git', ['bisect', 'run', step], x);
    const first = (await execa('git', ['rev-parse', 'refs/bisect/bad'], x)).stdout.trim();
    await execa('git', ['bisect', 'reset'], x);
    return first;
  };
  const revertCheck = async (dir, first, step) => {
    const x = { cwd: dir, env };
    await execa('git', ['checkout', '-q', bad], x);
    await execa('git', ['revert', '--no-edit', first], x);
    const r = await execa(step, [], { ...x, reject: false });
    return r.exitCode === 0 ? 'revert-fixes' : `revert exit ${r.exitCode}`;
  };
  // The nightly by hand: the same two builds kmatrix's runs made (base, then tip), in the
  // clones the bisects then run in, so the script starts with a warm ccache and O= dir too.
  say('by hand: the nightly builds at the base commit and the tip (not timed)');
  for (const [dir, step] of [
    [armDir, buildStep],
    [arm64Dir, pinStep],
  ])
    for (const [at, want] of [
      [good, 0],
      [bad, 1],
    ]) {
      await execa('git', ['checkout', '-q', at], { cwd: dir, env });
      const r = await execa(step, [], { cwd: dir, env, reject: false });
      if (r.exitCode !== want)
        throw new Error(`by hand at ${at}: exit ${r.exitCode}, expected ${want}`);
    }
  say('by hand: git bisect run (build, then the pin), git revert checks (timed)');
  const t0 = performance.now();
  const crash = await bisectRun(armDir, buildStep);
  const crashRevert = await revertCheck(armDir, crash, buildStep);
  const pin = await bisectRun(arm64Dir, pinStep);
  const pinRevert = await revertCheck(arm64Dir, pin, pinStep);
  const ms = performance.now() - t0;
  return {
    ms,
    culprits: { crash, 'kexec-pin': pin },
    verification: [`crash:${crashRevert}`, `kexec-pin:${pinRevert}`],
  };
}

/** One round: the history, then both sides (`handFirst` swaps their order), checked. */
async function round(n, handFirst) {
  work = await mkdtemp(join(shm, 'kmatrix-bench-triage-'));
  repo = join(work, 'linux.git');
  try {
    say(`round ${n}: planted history from ${tree.path}`);
    const shas = await buildHistory();
    let k;
    let h;
    if (handFirst) h = await handSide(shas);
    k = await kmatrixSide(shas);
    say(`kmatrix triage: ${(k.ms / 1000).toFixed(1)}s ${k.verification.join(' ')}`);
    for (const p of k.phases) say(`  ${p}`);
    if (!handFirst) h = await handSide(shas);
    for (const [name, at] of [
      ['crash', BUILD_AT],
      ['kexec-pin', KCONFIG_AT],
    ])
      if (k.culprits[name] !== shas[at] || h.culprits[name] !== shas[at])
        throw new Error(
          `${name}: expected ${shas[at]}, kmatrix ${k.culprits[name]}, by hand ${h.culprits[name]}`,
        );
    console.log(
      `round ${n}: kmatrix triage (${values.runtime}): ${(k.ms / 1000).toFixed(1)}s  ${k.verification.join(' ')}`,
    );
    for (const p of k.phases) console.log(`  ${p}`);
    console.log(
      `round ${n}: by hand (git bisect run + git revert builds): ${(h.ms / 1000).toFixed(1)}s  ${h.verification.join(' ')}`,
    );
    console.log(`round ${n}: ratio kmatrix/by hand: ${(k.ms / h.ms).toFixed(2)}`);
    return k.ms / h.ms;
  } finally {
    if (values.keep && n === rounds) {
      console.log(`kept ${work}; triage a failure again (--cell once per failure):\n  ${kept}`);
    } else await rm(work, { recursive: true, force: true });
    work = '';
  }
}

const ratios = [];
for (let n = 1; n <= rounds; n++) ratios.push(await round(n, n % 2 === 0));
const sorted = [...ratios].sort((a, b) => a - b);
const mid = sorted.length / 2;
const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
console.log(
  `ratio kmatrix/by hand: ${median.toFixed(2)}${rounds > 1 ? ` (median of ${rounds} rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})` : ''} (aim <= 0.5)`,
);
