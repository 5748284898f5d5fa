// Deciding a build step without building: after a passing build of commit X in an O= dir,
// commit C passes too when its resolved .config is identical and every file that differs
// between X and C is an existing file, modified (not added, deleted or renamed), that X's
// build never read (not in any .cmd file's source_/deps_ list) and that is not build
// machinery (Makefile*, Kbuild*, Kconfig*, scripts/**, the top-level files). The parsing and
// the rule are pure; collecting the .cmd files is the only I/O.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ChangedPath {
  /** git diff --name-status letter: M, A, D, R, C, T. */
  status: string;
  path: string;
}

/**
 * Source paths (relative to srctree) named by one .cmd file. `srctree` is every path the
 * tree had in the build (the host path, and /src in a container); an O= dir directly inside
 * the tree makes Kbuild's srctree "..", so ../path is a source path too.
 */
export function depsFromCmd(text: string, srctree: string | readonly string[]): string[] {
  const out: string[] = [];
  const prefixes = (typeof srctree === 'string' ? [srctree] : srctree).map((t) =>
    t.endsWith('/') ? t : `${t}/`,
  );
  const add = (raw: string) => {
    let p = raw.trim().replace(/\\$/, '').trim();
    const w = /^\$\(wildcard (.*)\)$/.exec(p);
    if (w) p = w[1]!;
    if (p === '' || p.startsWith('$')) return;
    const prefix = prefixes.find((x) => p.startsWith(x));
    if (prefix) out.push(p.slice(prefix.length));
    else if (p.startsWith('../')) out.push(p.slice(3));
    else if (!p.startsWith('/')) out.push(p);
  };
  let inDeps = false;
  for (const line of text.split('\n')) {
    const src = /^source_\S+ := (.*)$/.exec(line);
    if (src) add(src[1]!);
    if (/^deps_\S+ := /.test(line)) {
      inDeps = true;
      add(line.replace(/^deps_\S+ := /, ''));
      continue;
    }
    if (inDeps) {
      if (!line.startsWith(' ') && !line.startsWith('\t')) inDeps = false;
      else add(line);
    }
  }
  return out;
}

const MACHINERY = /(^|\/)(Makefile|Kbuild|Kconfig)[^/]*$|^scripts\/|^[^/]+$/;

export type UnbuiltDecision = { decided: true; why: string } | { decided: false; why: string };

export function decideWithoutBuild(o: {
  sameConfig: boolean;
  changed: readonly ChangedPath[];
  deps: ReadonlySet<string>;
}): UnbuiltDecision {
  if (!o.sameConfig) return { decided: false, why: 'the resolved .config differs' };
  for (const c of o.changed) {
    if (c.status !== 'M') return { decided: false, why: `${c.path} was added, deleted or renamed` };
    if (MACHINERY.test(c.path)) return { decided: false, why: `${c.path} is build machinery` };
    if (o.deps.has(c.path)) return { decided: false, why: `${c.path} is compiled or included` };
  }
  return {
    decided: true,
    why: `same .config, and none of the ${o.changed.length} changed file(s) is read by the build`,
  };
}

/** Every source path the build in `outDir` read, from its .cmd files. */
export async function collectDeps(
  outDir: string,
  srctree: string | readonly string[],
): Promise<Set<string>> {
  const deps = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.startsWith('.') && e.name.endsWith('.cmd'))
        for (const d of depsFromCmd(await readFile(p, 'utf8'), srctree)) deps.add(d);
    }
  };
  await walk(outDir);
  return deps;
}
