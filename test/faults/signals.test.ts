// Process fault 3: SIGINT and SIGTERM during every long command, each caught in the middle of
// its real work (conf running, make compiling in a container or on the host, a docker build
// step). Each must exit 2 and leave nothing behind: no process of its tree, no container it
// made, nothing in its TMPDIR or KMATRIX_SCRATCH, no staging dir or lock of its pid in the
// output or cache dirs, no clone or worktree in the user's repository.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker } from '../../src/docker/client.js';
import { defaultCacheDir } from '../../src/fsutil/cache.js';
import { processesOwnedBy } from '../../src/process/owner.js';
import { MANAGED_LABEL, OWNER_PID_LABEL } from '../../src/runtime/docker.js';
import { repoState, type History } from '../helpers/history.js';
import { treePath } from '../helpers/trees.js';
import { configHistory } from '../slow/bisect/config-history.js';
import { figure } from './figures.js';
import { PrivateDockerd } from './private-dockerd.js';
import {
  cmdline,
  descendants,
  kmatrix,
  removeDir,
  sleep,
  startKmatrix,
  stillRunning,
  waitFor,
  workDir,
} from './process-helpers.js';

let work: string;
let docker: Docker;
let history: History;
let imagesDaemon: PrivateDockerd;
const cache = defaultCacheDir(process.env);

/** What a command is doing right now that makes it "busy" (worth interrupting). */
type Busy = (pid: number) => Promise<boolean>;

const running =
  (pattern: RegExp): Busy =>
  async (pid) => {
    for (const p of await descendants(pid)) if (pattern.test(await cmdline(p.pid))) return true;
    return false;
  };
const inContainer =
  (argv0: string): Busy =>
  async (pid) =>
    (
      await docker.listContainers({
        filters: { label: [`${OWNER_PID_LABEL}=${pid}`, `org.kmatrix.argv0=${argv0}`] },
      })
    ).length > 0;

interface Case {
  name: string;
  args: string[];
  busy: Busy;
  env?: Record<string, string>;
  repo?: string;
  /** Containers of this command on a daemon of the test's own (images build). */
  privateDaemon?: PrivateDockerd;
}

beforeAll(async () => {
  const conn = await connectDocker(process.env);
  if (conn.kind === 'unavailable') throw new Error('the fault suite needs DOCKER_HOST');
  docker = conn.docker;
  const sharedHost = conn.endpoint.host;
  work = await workDir('signals');
  history = await configHistory(treePath('6.1'), join(work, 'repo'));
  // Inputs of config-bisect and repro: tinyconfig .configs made by kmatrix itself.
  for (const [arch, out] of [
    ['x86_64', 'good-x86'],
    ['armel', 'report'],
  ] as const) {
    const r = await kmatrix(work, [
      'config',
      '--source',
      'debian:6.1',
      '--arch',
      arch,
      '--base',
      'tinyconfig',
      '--out',
      out,
    ]);
    if (r.exitCode !== 0) throw new Error(r.stderr);
  }
  const good = await readFile(join(work, 'good-x86', '.config'), 'utf8');
  await writeFile(join(work, 'good.config'), good);
  await writeFile(
    join(work, 'bad.config'),
    good
      .replace('CONFIG_CC_OPTIMIZE_FOR_SIZE=y', '# CONFIG_CC_OPTIMIZE_FOR_SIZE is not set')
      .replace(
        '# CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE is not set',
        'CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE=y',
      )
      .replace('# CONFIG_MODULES is not set', 'CONFIG_MODULES=y'),
  );
  await writeFile(join(work, 'report', 'report.txt'), REPORT);
  await writeFile(join(work, 'report', 'config'), await readFile(join(work, 'report', '.config')));
  imagesDaemon = await PrivateDockerd.create();
  await imagesDaemon.start();
  await imagesDaemon.loadImage('debian:bookworm-slim', sharedHost);
});
afterAll(async () => {
  await imagesDaemon?.destroy();
  if (work) await removeDir(work);
});

const REPORT = `kernel test robot noticed the following build errors:

tree:   https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git master
head:   489fa31ea873282b41046d412ec741f93946fc2d
commit: 2b7ccb3f0ad3b1a2c4d6e8f0a1b3c5d7e9f1a2b4 [12/57] panic: a change
config: arm-tinyconfig-20240101 (https://download.01.org/0day-ci/archive/20240101/202401011234.abcdEFGh-lkp@intel.com/config)
compiler: arm-linux-gnueabi-gcc (GCC) 13.2.0
reproduce (this is a W=1 build):
        COMPILER_INSTALL_PATH=$HOME/0day COMPILER=gcc-13.2.0 make.cross W=1 O=build_dir ARCH=arm olddefconfig
        COMPILER_INSTALL_PATH=$HOME/0day COMPILER=gcc-13.2.0 make.cross W=1 O=build_dir ARCH=arm SHELL=/bin/bash kernel/

All errors (new ones prefixed by >>):

>> kernel/panic.c:12:16: error: 'kmatrix_undeclared_thing' undeclared (first use in this function)
`;

function cases(): Case[] {
  const tiny = ['--source', 'debian:6.1', '--arch', 'arm', '--base', 'tinyconfig'];
  const repo = history.dir;
  const range = ['--repo', repo, '--good', history.shas[0]!, '--bad', 'main', '--arch', 'x86_64'];
  return [
    {
      name: '`config` with 5 archs',
      args: ['config', ...tiny.slice(0, 2), '--arch', 'arm,arm64,x86_64,s390,riscv64'].concat([
        '--base',
        'allnoconfig',
        '--set',
        'PRINTK=y',
        '--out',
        'out',
      ]),
      busy: running(/scripts\/kconfig\/conf /),
    },
    {
      name: '`build` (docker runtime)',
      args: ['build', ...tiny, '--runtime', 'docker', '--out', 'out'],
      busy: inContainer('make'),
    },
    {
      name: '`build` (local runtime)',
      args: ['build', ...tiny, '--runtime', 'local', '--out', 'out'],
      busy: running(/^make .* zImage$/),
    },
    {
      name: '`run` (a docker build cell)',
      args: ['run', join(work, 'matrix.yaml'), '--results', 'res'],
      busy: inContainer('make'),
    },
    {
      name: '`bisect --require`',
      args: ['bisect', ...range, '--set', 'CRASH_DUMP=y', '--set', 'KEXEC=n'],
      busy: running(/scripts\/kconfig\/conf /),
      repo,
    },
    {
      name: '`bisect --build` (local runtime)',
      // The Kconfig-subset history builds for a few seconds before it misses a source file:
      // long enough to be interrupted mid-build, which is all this needs.
      args: ['bisect', ...range, '--base', 'defconfig', '--build', '--runtime', 'local'],
      busy: running(/^make .* bzImage$/),
      repo,
    },
    {
      name: '`config-bisect --require`',
      args: ['config-bisect', '--source', 'debian:6.1', '--arch', 'x86_64']
        .concat(['--good', join(work, 'good.config'), '--bad', join(work, 'bad.config')])
        .concat(['--require', 'CC_OPTIMIZE_FOR_SIZE=y']),
      busy: running(/scripts\/kconfig\/conf /),
    },
    {
      name: '`repro` (docker runtime)',
      args: ['repro', join(work, 'report', 'report.txt'), '--source', treePath('6.1')].concat([
        '--runtime',
        'docker',
        '--out',
        'out',
      ]),
      busy: inContainer('make'),
    },
    {
      name: '`images build`',
      args: ['images', 'build', '--toolchain', 'gcc'],
      env: { DOCKER_HOST: imagesDaemon.host },
      busy: async () => String((await imagesDaemon.docker(['ps', '-q'])).stdout).trim() !== '',
      privateDaemon: imagesDaemon,
    },
  ];
}

const MATRIX = `name: signals
sources: [debian:6.1]
architectures: [arm]
runtime: docker
configs:
  - name: tiny
    base: tinyconfig
`;

/** Files and dirs under `dir` (recursive), relative; [] when it does not exist. */
const entries = (dir: string) => readdir(dir, { recursive: true }).catch(() => [] as string[]);

/** Entries named like a staging or run dir of process `pid`, at most `depth` levels down. */
async function ofPid(dir: string, pid: number, depth: number): Promise<string[]> {
  const mine = new RegExp(`(\\.tmp-|^run-|^config-)${pid}-`);
  const out: string[] = [];
  const ents = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of ents) {
    const p = join(dir, e.name);
    if (mine.test(e.name)) out.push(p);
    else if (depth > 1 && e.isDirectory()) out.push(...(await ofPid(p, pid, depth - 1)));
  }
  return out;
}

/** Staging dirs, private clones and lock files of process `pid` (never walking whole trees). */
async function leftovers(pid: number, cwd: string): Promise<string[]> {
  const out = [
    ...(await ofPid(cwd, pid, 5)),
    ...(await ofPid(join(cache, 'trees'), pid, 1)),
    ...(await ofPid(join(cache, 'kconfig-tools'), pid, 1)),
    ...(await ofPid(join(cache, 'base-configs'), pid, 2)),
    // bisect --build's private clones and config-bisect's dirs: bisect/run-<pid>-*.
    ...(await ofPid(join(cache, 'bisect'), pid, 1)),
  ];
  for (const l of await readdir(join(cache, 'locks')).catch(() => [] as string[])) {
    const holder = await readFile(join(cache, 'locks', l), 'utf8').catch(() => '');
    if (holder.trim() === String(pid)) out.push(join(cache, 'locks', l));
  }
  return out;
}

interface Outcome {
  exitCode: number | undefined;
  seconds: number;
  stderr: string;
  processes: number[];
  containers: string[];
  temp: string[];
  staging: string[];
  repoChanged: boolean;
}

async function interrupt(c: Case, sig: 'SIGINT' | 'SIGTERM'): Promise<Outcome> {
  const cwd = join(work, `${c.name.replace(/\W+/g, '-')}-${sig}`);
  const tmp = join(cwd, 'tmp');
  const scratch = join(cwd, 'scratch');
  await mkdir(tmp, { recursive: true });
  await mkdir(scratch, { recursive: true });
  const repoBefore = c.repo ? await repoState(c.repo) : undefined;
  const child = startKmatrix(cwd, c.args, { TMPDIR: tmp, KMATRIX_SCRATCH: scratch, ...c.env });
  const pid = child.pid!;
  let exited = false;
  void child.finally(() => (exited = true));
  await waitFor(`${c.name} to get busy`, async () => {
    if (exited)
      throw new Error(`${c.name} ended before it got busy:\n${String((await child).stderr)}`);
    return (await c.busy(pid)) ? true : undefined;
  });
  const tree = (await descendants(pid)).map((p) => p.pid);
  const t0 = Date.now();
  child.kill(sig);
  // A hang guard, not a timing threshold: the figure reports the measured time.
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const r = await child;
  clearTimeout(guard);
  const seconds = (Date.now() - t0) / 1000;
  await sleep(300); // let the kernel reap what just exited
  const containers = c.privateDaemon
    ? String((await c.privateDaemon.docker(['ps', '-aq'])).stdout)
        .split('\n')
        .filter(Boolean)
    : (
        await docker.listContainers({
          all: true,
          filters: { label: [MANAGED_LABEL, `${OWNER_PID_LABEL}=${pid}`] },
        })
      ).map((x) => x.Names[0] ?? x.Id);
  const scratchLeft = (await entries(scratch)).filter((e) => e !== 'bisect');
  return {
    exitCode: r.exitCode,
    seconds,
    stderr: String(r.stderr),
    processes: [...new Set([...(await stillRunning(tree)), ...(await processesOwnedBy(pid))])],
    containers,
    temp: [...(await entries(tmp)), ...scratchLeft],
    staging: await leftovers(pid, cwd),
    repoChanged: c.repo
      ? JSON.stringify(await repoState(c.repo)) !== JSON.stringify(repoBefore)
      : false,
  };
}

describe('SIGINT and SIGTERM during every long command', () => {
  beforeAll(async () => {
    await writeFile(join(work, 'matrix.yaml'), MATRIX);
  });

  for (const name of [
    '`config` with 5 archs',
    '`build` (docker runtime)',
    '`build` (local runtime)',
    '`run` (a docker build cell)',
    '`bisect --require`',
    '`bisect --build` (local runtime)',
    '`config-bisect --require`',
    '`repro` (docker runtime)',
    '`images build`',
  ])
    it(name, async () => {
      const c = cases().find((x) => x.name === name)!;
      const got: Record<string, Outcome> = {};
      for (const sig of ['SIGINT', 'SIGTERM'] as const) got[sig] = await interrupt(c, sig);
      const all = Object.values(got);
      const clean = (o: Outcome) =>
        o.exitCode === 2 &&
        o.processes.length === 0 &&
        o.containers.length === 0 &&
        o.temp.length === 0 &&
        o.staging.length === 0 &&
        !o.repoChanged;
      for (const [sig, o] of Object.entries(got)) {
        expect({ sig, ...o, stderr: o.stderr.slice(-2000) }).toMatchObject({
          exitCode: 2,
          processes: [],
          containers: [],
          temp: [],
          staging: [],
          repoChanged: false,
        });
        expect(o.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
      }
      const sum = (k: 'processes' | 'containers' | 'temp' | 'staging') =>
        all.reduce((n, o) => n + o[k].length, 0);
      figure({
        group: 'process',
        fault: `SIGINT, then SIGTERM, during ${name}`,
        expected: 'exit 2 within seconds; 0 processes, containers, temp/scratch dirs, clones left',
        measured: `${Object.entries(got)
          .map(([s, o]) => `${s}: exit ${o.exitCode} after ${o.seconds.toFixed(1)} s`)
          .join(
            '; ',
          )}; left: ${sum('processes')} processes, ${sum('containers')} containers, ${sum('temp')} temp/scratch entries, ${sum('staging')} staging dirs or locks${c.repo ? `, repository ${all.some((o) => o.repoChanged) ? 'CHANGED' : 'untouched'}` : ''}`,
        ok: all.every(clean),
      });
    });
});
