#!/usr/bin/env node
// What the shell cache (src/config/shell-cache.ts) saves per conf run of a solve session:
// the same direct `conf --olddefconfig` checks (defconfig + random pins of the tree) through
// two sessions of one tree and arch, one with the cache and one without, alternating; prints
// wall and CPU time (of conf and its probes) per run for each and the ratio.
// Usage: npm run build && node bench/conf-shell-cache.mjs [--source debian:6.12] [--arch x86_64] [--runs 10]
import { readFileSync } from 'node:fs';
import { findArch } from '../dist/arch/arches.js';
import { modelFor } from '../dist/config/kconfig-bridge.js';
import { defaultCacheDir } from '../dist/fsutil/cache.js';
import { execaRunner } from '../dist/process/runner.js';
import { openConfChecker } from '../dist/solve/conf.js';
import { createSolveDeps } from '../dist/solve/deps.js';
import { benchArgs } from './lib/source.mjs';

const { values, tree } = await benchArgs({
  arch: { type: 'string', default: 'x86_64' },
  runs: { type: 'string', default: '10' },
});
const arch = findArch(values.arch);
const runs = Number(values.runs);
const deps = await createSolveDeps({
  runner: execaRunner,
  cacheDir: defaultCacheDir(process.env),
  env: process.env,
  emit: () => {},
  jobs: 1,
});
const base = { kind: 'defconfig' };
const cached = await openConfChecker(tree, arch, 'gcc', base, deps);
const plain = await openConfChecker(tree, arch, 'gcc', base, { ...deps, shellCache: false });

// the same pin sets for both: prompted bool symbols switched to y, reproducibly chosen
const model = await modelFor(tree, arch);
const cands = model.boolSymbols().filter((s) => s.props.some((p) => p.kind === 'prompt'));
const pinSets = Array.from({ length: runs }, (_, i) =>
  [0, 1, 2].map((j) => ({
    symbol: cands[(i * 7919 + j * 104729) % cands.length].name,
    value: 'y',
    origin: 'bench',
  })),
);

// conf and its probes are children: their CPU is cutime + cstime in /proc/self/stat (1/100 s)
const childCpu = () => {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
};

async function timed(conf, pins) {
  const c0 = childCpu();
  const t0 = process.hrtime.bigint();
  const values = await conf.resolve(pins);
  return {
    wall: Number(process.hrtime.bigint() - t0) / 1e9,
    cpu: childCpu() - c0,
    text: [...values].join('\n'),
  };
}

// one run each first: the cached session fills its store on its first run
await timed(cached, pinSets[0]);
await timed(plain, pinSets[0]);
const totals = { cached: { wall: 0, cpu: 0, texts: [] }, plain: { wall: 0, cpu: 0, texts: [] } };
for (const pins of pinSets) {
  for (const [name, conf] of [
    ['cached', cached],
    ['plain', plain],
  ]) {
    const r = await timed(conf, pins);
    totals[name].wall += r.wall;
    totals[name].cpu += r.cpu;
    totals[name].texts.push(r.text);
  }
}
const same = totals.cached.texts.every((t, i) => t === totals.plain.texts[i]);
const per = (x) => `${(x.wall / runs).toFixed(2)} s wall, ${(x.cpu / runs).toFixed(2)} s CPU`;
console.log(
  `${tree.label} ${arch.name} defconfig, ${runs} conf runs each (load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`,
);
console.log(`with the shell cache:    ${per(totals.cached)} per run`);
console.log(`without (probe cache only): ${per(totals.plain)} per run`);
console.log(`identical .config values: ${same ? 'yes' : 'NO'}`);
console.log(
  `ratio: wall ${(totals.cached.wall / totals.plain.wall).toFixed(2)}, CPU ${(totals.cached.cpu / totals.plain.cpu).toFixed(2)}`,
);
await cached.close();
await plain.close();
