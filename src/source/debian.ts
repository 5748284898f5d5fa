// Debian kernel source packages (linux-source-X.Y) fetched with apt into kmatrix's
// cache and extracted once. apt uses a private sources list and state so the
// machine's own apt configuration is never changed.
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KmatrixError } from '../core/errors.js';
import type { Emit, SourceEvent } from '../core/events.js';
import { exists, publishDir, withLock } from '../fsutil/atomic.js';
import { howItFailed, lastLines, type ProcessRunner } from '../process/runner.js';

/** The suites searched, in order; the known versions live where the comment says. */
const DEBIAN_SUITES = [
  { suite: 'bookworm', known: '6.1' },
  { suite: 'bookworm-backports', known: '6.12' },
  { suite: 'sid', known: '7.2' },
] as const;

const KNOWN_DEBIAN_VERSIONS = DEBIAN_SUITES.map((s) => `${s.known} (${s.suite})`).join(', ');

const LIST_MAX_AGE_MS = 24 * 3600 * 1000;

export interface DebianDeps {
  runner: ProcessRunner;
  cacheDir: string;
  emit: Emit<SourceEvent>;
  /** Debian mirror URL; defaults to the machine's own, else deb.debian.org. */
  mirror?: string | undefined;
}

export interface DebianTree {
  path: string;
  packageVersion: string;
  cached: boolean;
}

/** Read the first Debian mirror from the machine's apt sources (deb822 or one-line). */
async function machineMirror(): Promise<string> {
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => '');
    const m =
      /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text) ??
      /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s/m.exec(text);
    if (m?.[1]) return m[1];
  }
  return 'http://deb.debian.org/debian';
}

function aptOptions(aptDir: string): string[] {
  const options = {
    'Dir::Etc::sourcelist': join(aptDir, 'sources.list'),
    'Dir::Etc::sourceparts': '/nonexistent',
    'Dir::State::Lists': join(aptDir, 'lists'),
    'Dir::Cache': join(aptDir, 'cache'),
    // An empty dpkg status: what this machine has installed must not change what we fetch.
    'Dir::State::status': join(aptDir, 'status'),
    'APT::Sandbox::User': 'root',
  };
  return [...Object.entries(options).flatMap(([k, v]) => ['-o', `${k}=${v}`]), '-q'];
}

async function aptUpdate(deps: DebianDeps, aptDir: string, force: boolean): Promise<void> {
  const stamp = join(aptDir, 'updated');
  const last = Number((await readFile(stamp, 'utf8').catch(() => '0')).trim());
  if (!force && Date.now() - last < LIST_MAX_AGE_MS) return;
  const mirror = deps.mirror ?? (await machineMirror());
  await mkdir(join(aptDir, 'lists', 'partial'), { recursive: true });
  await mkdir(join(aptDir, 'cache', 'archives', 'partial'), { recursive: true });
  await writeFile(join(aptDir, 'status'), '');
  await writeFile(join(aptDir, 'status'), '');
  await writeFile(
    join(aptDir, 'sources.list'),
    DEBIAN_SUITES.map((s) => `deb ${mirror} ${s.suite} main\n`).join(''),
  );
  deps.emit({ type: 'source:apt-update', suites: DEBIAN_SUITES.map((s) => s.suite) });
  // --error-on=any: without it an unreachable mirror is only a warning and exit 0.
  const r = await deps.runner.run('apt-get', [...aptOptions(aptDir), 'update', '--error-on=any']);
  if (r.failed) {
    throw new KmatrixError(
      'apt-failed',
      `apt-get update failed for ${DEBIAN_SUITES.map((s) => s.suite).join(', ')} from ${mirror} (${r.command})`,
      lastLines(r.stderr || r.stdout, 15),
    );
  }
  await writeFile(stamp, String(Date.now()));
}

/** Which version of linux-source-X is available, per apt's policy; undefined when none. */
async function candidate(
  deps: DebianDeps,
  aptDir: string,
  pkg: string,
): Promise<string | undefined> {
  const r = await deps.runner.run('apt-cache', [...aptOptions(aptDir), 'policy', pkg]);
  const m = /Candidate:\s*(\S+)/.exec(r.stdout);
  return m?.[1] && m[1] !== '(none)' ? m[1] : undefined;
}

/** Resolve debian:VERSION to an extracted tree in the cache, fetching it the first time. */
export async function resolveDebianTree(version: string, deps: DebianDeps): Promise<DebianTree> {
  const pkg = `linux-source-${version}`;
  const treeDir = join(deps.cacheDir, 'trees', `debian-${version}`);
  const stampFile = join(treeDir, '.kmatrix-source');
  if (await exists(stampFile)) {
    return {
      path: treeDir,
      packageVersion: (await readFile(stampFile, 'utf8')).trim(),
      cached: true,
    };
  }
  const aptDir = join(deps.cacheDir, 'apt');
  return withLock(
    join(deps.cacheDir, 'locks', `debian-${version}.lock`),
    async () => {
      // Someone may have finished while we waited for the lock.
      if (await exists(stampFile)) {
        return {
          path: treeDir,
          packageVersion: (await readFile(stampFile, 'utf8')).trim(),
          cached: true,
        };
      }
      await aptUpdate(deps, aptDir, false);
      let pkgVersion = await candidate(deps, aptDir, pkg);
      if (!pkgVersion) {
        await aptUpdate(deps, aptDir, true);
        pkgVersion = await candidate(deps, aptDir, pkg);
      }
      if (!pkgVersion) {
        throw new KmatrixError(
          'bad-source',
          `no Debian package ${pkg} in ${DEBIAN_SUITES.map((s) => s.suite).join(', ')}; known versions: ${KNOWN_DEBIAN_VERSIONS}`,
        );
      }
      const deb = await download(deps, aptDir, pkg, pkgVersion);
      deps.emit({ type: 'source:extract', pkg, into: treeDir });
      await publishDir(treeDir, async (staging) => {
        await extractDeb(deps.runner, deb, `./usr/src/${pkg}.tar.xz`, staging);
        // Written last: its presence means the tree is complete.
        await writeFile(join(staging, '.kmatrix-source'), `${pkg} ${pkgVersion}\n`);
      });
      return { path: treeDir, packageVersion: `${pkg} ${pkgVersion}`, cached: false };
    },
    () => deps.emit({ type: 'source:wait-lock', what: `${pkg} (another kmatrix is fetching it)` }),
  );
}

async function download(
  deps: DebianDeps,
  aptDir: string,
  pkg: string,
  version: string,
): Promise<string> {
  const debDir = join(aptDir, 'debs');
  await mkdir(debDir, { recursive: true });
  const existing = (await readdir(debDir)).find(
    (f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'),
  );
  if (existing) return join(debDir, existing);
  const suite =
    DEBIAN_SUITES.find((s) => s.known === pkg.replace('linux-source-', ''))?.suite ?? 'debian';
  deps.emit({ type: 'source:download', pkg: `${pkg}=${version}`, suite });
  // apt-get download writes into its cwd; do it in a staging dir so a cut download never looks whole.
  const staging = join(debDir, `.partial-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const r = await deps.runner.run(
      'apt-get',
      [...aptOptions(aptDir), 'download', `${pkg}=${version}`],
      { cwd: staging },
    );
    if (r.failed) {
      throw new KmatrixError(
        'apt-failed',
        `apt-get download ${pkg}=${version} failed (${r.command})`,
        lastLines(r.stderr || r.stdout, 15),
      );
    }
    const got = (await readdir(staging)).find((f) => f.endsWith('.deb'));
    if (!got) throw new KmatrixError('apt-failed', `apt-get download ${pkg} produced no .deb`);
    await rename(join(staging, got), join(debDir, got));
    return join(debDir, got);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** dpkg-deb --fsys-tarfile DEB | tar -xO MEMBER | tar -xJ --strip-components=1 -C DEST, without a shell. */
async function extractDeb(
  runner: ProcessRunner,
  deb: string,
  member: string,
  dest: string,
): Promise<void> {
  const r = await runner.pipeline([
    { file: 'dpkg-deb', args: ['--fsys-tarfile', deb] },
    { file: 'tar', args: ['-xO', member] },
    { file: 'tar', args: ['-xJ', '--strip-components=1', '-C', dest] },
  ]);
  if (r.failed)
    throw new KmatrixError(
      'apt-failed',
      `extracting ${member} from ${deb} failed: ${r.command} ${howItFailed(r)}`,
      lastLines(r.stderr, 20),
    );
}
