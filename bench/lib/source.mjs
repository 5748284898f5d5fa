// Benches take `--source` like the CLI (a path, git:PATH@REF or debian:X.Y; default
// debian:6.1) and resolve it through kmatrix's own resolver (dist/, so `npm run build` first).
import { parseArgs } from 'node:util';
import { defaultCacheDir } from '../../dist/fsutil/cache.js';
import { execaRunner } from '../../dist/process/runner.js';
import { resolveSource } from '../../dist/source/resolve.js';
import { parseSourceSpec } from '../../dist/source/spec.js';

/** Parse argv with `--source` plus the bench's own options; returns values and the tree. */
export async function benchArgs(options = {}) {
  const { values, positionals } = parseArgs({
    options: { source: { type: 'string', default: 'debian:6.1' }, ...options },
    allowPositionals: true,
  });
  // A bare path argument (the old usage) is still taken as the source.
  const source = positionals[0] ?? values.source;
  const tree = await resolveSource(parseSourceSpec(source), {
    runner: execaRunner,
    cacheDir: defaultCacheDir(process.env),
    cwd: process.cwd(),
    emit: (e) => {
      if (e.type === 'source:download' || e.type === 'source:extract')
        process.stderr.write(`bench: ${e.type} ${e.pkg}\n`);
    },
  });
  return { values, tree };
}
