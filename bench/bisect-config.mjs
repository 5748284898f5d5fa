// kmatrix bisect --require vs plain `git bisect run` (make defconfig + pins + olddefconfig +
// grep) on the same 520-commit history of Debian 6.1's Kconfig subset, with Linux 6.6's
// "CRASH_DUMP selects KEXEC" planted at commit 400. Run after `npm run build`:
//   node bench/bisect-config.mjs [--source debian:6.1|PATH|git:PATH@REF]   (default debian:6.1)
// Both sides start cold (no built conf, fresh output dirs) and must find the same commit.
// KMATRIX_BENCH_RUNS (default 3) pairs of runs; the ratio is median over median.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { benchArgs } from './lib/source.mjs';

const tree = (await benchArgs()).tree.path;
const CLI = resolve(process.env.KMATRIX_CLI ?? 'bin/kmatrix.js');
const N = 520;
const CULPRIT = 400;
const work = await mkdtemp(join(tmpdir(), 'kmatrix-bench-bisect-'));
const repo = join(work, 'repo');
const git = (dir, args, input) =>
  execa('git', ['-C', dir, ...args], { input, maxBuffer: 256 * 1024 * 1024 });

// Deterministic mix, roughly the kernel's: most commits touch no Kconfig file at all, some
// touch other arches' Kconfig, some touch generic or x86 Kconfig files.
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

async function buildHistory() {
  const t = performance.now();
  const { stdout } = await execa(
    'find',
    [
      '.',
      '(',
      '-name',
      'Kconfig*',
      '-o',
      '-name',
      'Makefile*',
      '-o',
      '-name',
      'Kbuild*',
      '-o',
      '-path',
      './scripts/*',
      '-o',
      '-path',
      './arch/*/configs/*',
      '-o',
      '-path',
      './arch/*/tools/*',
      ')',
      '-type',
      'f',
      '-print',
    ],
    { cwd: tree, maxBuffer: 64 * 1024 * 1024 },
  );
  await execa('mkdir', ['-p', repo]);
  await execa('tar', ['-cf', '-', '-T', '-'], {
    cwd: tree,
    input: stdout,
    buffer: false,
    encoding: 'buffer',
  }).pipe('tar', ['-xf', '-', '-C', repo], { buffer: false });
  await writeFile(join(repo, '.gitignore'), '');
  await git(repo, ['init', '-q', '-b', 'main']);
  await git(repo, ['config', 'gc.auto', '0']);
  await git(repo, ['add', '-A']);
  await git(repo, ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '-m', 'base']);
  const files = new Map();
  const read = async (p) => files.get(p) ?? (await git(repo, ['show', `HEAD:${p}`])).stdout + '\n';
  const parts = [];
  let relevant = 0;
  for (let i = 1; i <= N; i++) {
    let path;
    let content;
    let msg;
    const r = rand();
    if (i === CULPRIT) {
      path = 'arch/x86/Kconfig';
      const old = await read(path);
      const anchor =
        'config CRASH_DUMP\n\tbool "kernel crash dumps"\n\tdepends on X86_64 || (X86_32 && HIGHMEM)\n';
      content = old.replace(anchor, `${anchor}\tselect KEXEC\n`);
      msg = 'x86/kexec: CRASH_DUMP selects KEXEC';
      relevant++;
    } else if (r < 0.7) {
      path = [
        'Documentation/notes.txt',
        'drivers/misc/Makefile',
        'net/core/Makefile',
        'MAINTAINERS',
      ][i % 4];
      content = (await read(path).catch(() => '')) + `# change ${i}\n`;
      msg = `misc: change ${i}`;
    } else if (r < 0.82) {
      path = ['arch/arm/Kconfig', 'arch/mips/Kconfig', 'arch/riscv/Kconfig'][i % 3];
      content = (await read(path)) + `# other arch ${i}\n`;
      msg = `other arch: Kconfig ${i}`;
    } else {
      path = ['net/Kconfig', 'drivers/misc/Kconfig', 'arch/x86/Kconfig', 'init/Kconfig'][i % 4];
      content = (await read(path)) + `# kconfig ${i}\n`;
      msg = `kconfig: change ${i}`;
      relevant++;
    }
    files.set(path, content);
    const m = Buffer.from(msg + '\n');
    const body = Buffer.from(content);
    parts.push(
      `commit refs/heads/main\ncommitter b <b@b> ${1700000000 + i * 60} +0000\ndata ${m.length}\n${msg}\n` +
        (i === 1 ? `from refs/heads/main^0\n` : '') +
        `M 100644 inline ${path}\ndata ${body.length}\n${content}\n\n`,
    );
  }
  await git(repo, ['fast-import', '--quiet', '--force'], parts.join(''));
  await git(repo, ['reset', '-q', '--hard', 'main']);
  const shas = (await git(repo, ['rev-list', '--reverse', 'main'])).stdout.trim().split('\n');
  console.log(
    `history: ${shas.length} commits (${relevant} change Kconfig inputs for x86), built in ${((performance.now() - t) / 1000).toFixed(1)}s`,
  );
  return shas;
}

const shas = await buildHistory();
const good = shas[0];
const culprit = shas[CULPRIT];

// Both sides, RUNS times, interleaved (plain, kmatrix, plain, ...): these machines are noisy,
// so the ratio is taken between the medians. Every run starts cold: a fresh clone and O= dir
// for plain, a fresh KMATRIX_CACHE for kmatrix.
const RUNS = Number(process.env.KMATRIX_BENCH_RUNS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function plainRun(n) {
  const plain = join(work, `plain${n}`);
  await execa('git', ['clone', '-q', repo, plain]);
  const script = join(work, `pred${n}.sh`);
  await writeFile(
    script,
    `#!/bin/sh
o=${work}/plain-out${n}
make -s -C ${plain} O=$o ARCH=x86 defconfig >/dev/null 2>&1 || exit 125
printf 'CONFIG_CRASH_DUMP=y\\n# CONFIG_KEXEC is not set\\n' >> $o/.config
make -s -C ${plain} O=$o ARCH=x86 olddefconfig >/dev/null 2>&1 || exit 125
grep -q '^# CONFIG_KEXEC is not set' $o/.config
`,
  );
  await chmod(script, 0o755);
  const t = performance.now();
  await git(plain, ['bisect', 'start', 'main', good]);
  const run = await execa('git', ['-C', plain, 'bisect', 'run', script], { reject: false });
  const ms = performance.now() - t;
  if (!run.stdout.includes(`${culprit} is the first bad commit`))
    throw new Error(`git bisect run missed:\n${run.stdout}`);
  return { ms, steps: (run.stdout.match(/^running /gm) ?? []).length };
}

async function kmatrixRun(n) {
  const cache = join(work, `cache${n}`);
  const t = performance.now();
  const k = await execa(
    process.execPath,
    [
      CLI,
      'bisect',
      '--repo',
      repo,
      '--good',
      good,
      '--bad',
      'main',
      '--arch',
      'x86_64',
      '--set',
      'CRASH_DUMP=y',
      '--set',
      'KEXEC=n',
      '--json',
    ],
    { env: { ...process.env, KMATRIX_CACHE: cache }, reject: false },
  );
  const ms = performance.now() - t;
  if (k.exitCode !== 0) throw new Error(`kmatrix bisect failed (${k.exitCode}):\n${k.stderr}`);
  const out = JSON.parse(k.stdout);
  if (out.firstBad.sha !== culprit)
    throw new Error(`kmatrix found ${out.firstBad.sha}, expected ${culprit}`);
  const where = /private worktrees \(\d+\) in (\S+)/.exec(k.stderr)?.[1] ?? '?';
  return { ms, steps: out.steps.length, out, where };
}

const plainMs = [];
const kmMs = [];
let plainSteps = 0;
let last;
for (let i = 0; i < RUNS; i++) {
  const p = await plainRun(i);
  const k = await kmatrixRun(i);
  plainMs.push(p.ms);
  kmMs.push(k.ms);
  plainSteps = p.steps;
  last = k;
  console.log(
    `run ${i + 1}: git bisect run ${(p.ms / 1000).toFixed(1)}s, kmatrix ${(k.ms / 1000).toFixed(1)}s, ratio ${(k.ms / p.ms).toFixed(2)}`,
  );
}
const s = (ms) => `${(ms / 1000).toFixed(1)}s`;
console.log(`git bisect run:  median ${s(median(plainMs))} of ${RUNS}, ${plainSteps} steps`);
console.log(
  `kmatrix bisect:  median ${s(median(kmMs))} of ${RUNS}, ${last.steps} steps (${last.out.range.candidates} candidates of ${last.out.range.commits}), scratch ${last.where.replace(/\/run-.*/, '')}`,
);
console.log(`ratio: ${(median(kmMs) / median(plainMs)).toFixed(2)}`);
if (process.env.KMATRIX_BENCH_KEEP) console.log(`kept ${work}`);
else await rm(work, { recursive: true, force: true });
