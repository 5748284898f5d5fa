#!/usr/bin/env node
// Prints how long each slow and fault test file took in the last vitest runs (from vitest's
// own results cache), longest first, with the total: where CI time goes, in CI's log.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const root = 'node_modules/.vite/vitest';
const rows = [];
for (const dir of await readdir(root).catch(() => [])) {
  const text = await readFile(join(root, dir, 'results.json'), 'utf8').catch(() => undefined);
  if (!text) continue;
  const results = JSON.parse(text).results ?? [];
  for (const [file, r] of Array.isArray(results) ? results : Object.entries(results)) {
    if (/^(slow|faults):/.test(file) && r?.duration) rows.push([file, r.duration / 1000]);
  }
}
rows.sort((a, b) => b[1] - a[1]);
const total = rows.reduce((s, [, t]) => s + t, 0);
const lines = [
  `test file durations (s), slow and fault suites, ${rows.length} files, sum ${total.toFixed(0)} s:`,
  ...rows.map(([file, t]) => `${t.toFixed(0).padStart(6)}  ${file}`),
];
process.stdout.write(lines.join('\n') + '\n');
