// One conf build for all workers of a config bisect. Building scripts/kconfig (conf, fixdep)
// takes ~2.5 s of CPU per O= dir, as long as the Kconfig run itself; with two workers
// starting at once, both would build it. Instead the first worker builds it with -j, and
// the others copy its scripts/ output, timestamps kept, once it is linked.
//
// That is only sound when make would have built the same thing: the O= dirs sit directly
// inside their source trees (Kbuild then writes `srctree := ..`, so the recorded command
// lines are the same in every worker), and every source file the objects were built from
// (the dependencies Kbuild records in .*.cmd, plus scripts/kconfig, scripts/basic and
// scripts/include) has the same blob in both trees. Otherwise nothing is copied and make
// builds conf as usual. Make still checks every copied target against its command line
// and prerequisites, so a copy can save work but never skip a rebuild make would do.
import { cp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../fsutil/atomic.js';

/** Where a config worker's O= dir goes: directly inside its source tree (see above). */
export const OUT_IN_TREE = '.kmatrix-out';

const CONF_CMD = 'scripts/kconfig/.conf.cmd';
const SHARED_DIRS = ['scripts/kconfig/', 'scripts/basic/', 'scripts/include/'];

/** Tree-relative source paths named in Kbuild .cmd files (`../path` under srctree = ..). */
export function cmdSources(cmdText: string): string[] {
  const out = new Set<string>();
  for (const m of cmdText.matchAll(/(?:^|[\s:=])\.\.\/([^\s\\)]+)/g)) out.add(m[1]!);
  return [...out];
}

/** Source paths whose blobs must agree for `from`'s conf build to be valid in `to`. */
export function sameSources(
  from: ReadonlyMap<string, string>,
  to: ReadonlyMap<string, string>,
  deps: readonly string[],
): boolean {
  const paths = new Set(deps);
  for (const m of [from, to])
    for (const p of m.keys()) if (SHARED_DIRS.some((d) => p.startsWith(d))) paths.add(p);
  for (const p of paths) if (from.get(p) !== to.get(p)) return false;
  return true;
}

async function cmdFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.startsWith('.') && e.name.endsWith('.cmd'))
    .map((e) => join(e.parentPath, e.name));
}

/**
 * Wait until `fromOut` holds a linked conf (or `building` settles without one), then copy
 * its scripts/ into `toOut` if the sources agree. Returns whether it copied.
 */
export async function shareConf(opts: {
  fromOut: string;
  toOut: string;
  /** path -> blob id of the tree each O= dir belongs to. */
  fromBlobs: () => ReadonlyMap<string, string>;
  toBlobs: () => ReadonlyMap<string, string>;
  /** The first worker's evaluation: stop waiting when it ends. */
  building: Promise<unknown>;
  pollMs?: number;
}): Promise<boolean> {
  let done = false;
  void opts.building.then(
    () => (done = true),
    () => (done = true),
  );
  const cmd = join(opts.fromOut, CONF_CMD);
  for (;;) {
    if (await exists(cmd)) break;
    if (done) return false;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 25));
  }
  const deps: string[] = [];
  for (const f of await cmdFiles(join(opts.fromOut, 'scripts')))
    deps.push(...cmdSources(await readFile(f, 'utf8')));
  if (!sameSources(opts.fromBlobs(), opts.toBlobs(), deps)) return false;
  await cp(join(opts.fromOut, 'scripts'), join(opts.toOut, 'scripts'), {
    recursive: true,
    preserveTimestamps: true,
  });
  return true;
}
