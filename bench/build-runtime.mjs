// Bench: the same tinyconfig arm build (linux 6.1, -j2) in the docker and the local runtime
// (ccache off for both), then a cold-ccache and a warm-ccache build in docker. Prints
// docker/local (aim <= 1.05) and warm/cold (aim <= 0.3), timing the make step only.
// Needs `npm run build`, a daemon (DOCKER_HOST) with kmatrix/gcc, and the host's arm gcc.
// Usage: node bench/build-runtime.mjs [KERNEL_TREE]   (default: KMATRIX_BENCH_TREE or debian:6.1)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = pathToFileURL(
  resolve(process.env.KMATRIX_DIST ?? new URL('../dist', import.meta.url).pathname) + '/',
).href;
const load = (p) => import(new URL(p, dist).href);
const { findArch } = await load('arch/arches.js');
const { runBuild } = await load('build/run.js');
const { generateConfig } = await load('config/generate.js');
const { symbolLookup } = await load('config/kconfig-bridge.js');
const { defaultCacheDir } = await load('fsutil/cache.js');
const { execaRunner } = await load('process/runner.js');
const { LocalRuntime } = await load('runtime/local.js');
const { selectRuntime } = await load('runtime/select.js');
const { resolveSource } = await load('source/resolve.js');

const cacheDir = defaultCacheDir(process.env);
const treeArg = process.argv[2] ?? process.env.KMATRIX_BENCH_TREE;
const spec = treeArg
  ? { kind: 'path', path: resolve(treeArg) }
  : { kind: 'debian', version: '6.1' };
const tree = await resolveSource(spec, {
  runner: execaRunner,
  cacheDir,
  cwd: process.cwd(),
  emit: () => {},
});
const arch = findArch('armhf');
const docker = (
  await selectRuntime('docker', { env: process.env, toolchain: 'gcc', runner: execaRunner })
).runtime;
const local = new LocalRuntime(execaRunner, process.env);
const work = await mkdtemp(join(tmpdir(), 'kmatrix-bench-'));

async function build(name, runtime, ccacheDir) {
  const result = await runBuild(
    {
      tree,
      arch,
      toolchain: 'gcc',
      base: { kind: 'tinyconfig' },
      pins: [],
      outDir: join(work, name),
      targets: ['kernel'],
      jobs: 2,
      allowUnsatisfied: false,
    },
    {
      runtime,
      generateConfig: (r) =>
        generateConfig(r, {
          runner: execaRunner,
          cacheDir,
          env: process.env,
          emit: () => {},
          symbols: symbolLookup,
        }),
      emit: () => {},
      ...(ccacheDir ? { ccacheDir } : {}),
    },
  );
  if (result.status !== 'pass')
    throw new Error(`${name}: ${result.status} ${result.reason ?? ''} (see ${result.files.log})`);
  const s = result.targets[0].durationMs / 1000;
  console.log(
    `${name.padEnd(14)} make ${arch.imageTarget}: ${s.toFixed(1)}s  (${result.runtime.kind})`,
  );
  return s;
}

try {
  console.log(`tree ${tree.label} (${tree.path}), ${arch.name} tinyconfig, -j2`);
  const local1 = await build('local', local);
  const docker1 = await build('docker', docker);
  const cold = await build('docker-cold', docker, join(work, 'ccache'));
  const warm = await build('docker-warm', docker, join(work, 'ccache'));
  const r1 = docker1 / local1;
  const r2 = warm / cold;
  console.log(`docker/local     = ${r1.toFixed(3)}  (aim <= 1.05) ${r1 <= 1.05 ? 'ok' : 'OVER'}`);
  console.log(`warm/cold ccache = ${r2.toFixed(3)}  (aim <= 0.3)  ${r2 <= 0.3 ? 'ok' : 'OVER'}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
