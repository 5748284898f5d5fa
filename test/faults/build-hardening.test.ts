// Container hardening and disk use, measured on real builds (tinyconfig arm in kmatrix/gcc,
// two `kmatrix run`s of the built CLI sharing one matrix): while the first builds, its make
// container is inspected and probed from inside (uid, capabilities, no_new_privs, pids limit,
// network interfaces, a write to the source); afterwards the output must be the caller's,
// the reproducer must carry the same flags, and the cell dir must hold only the artifacts.
// The second run keeps its object tree (--keep-build-dirs): the before/after of the figure.
// Then `kmatrix gc --keep-runs 1` removes the first run's directory; the store keeps its rows.
import { execa } from 'execa';
import { lstat, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/core/text.js';
import { PIDS_LIMIT } from '../../src/runtime/hardening.js';
import { ResultStore } from '../../src/store/store.js';
import { requireDaemon } from '../slow/runtime/docker-helpers.js';
import { treePath } from '../helpers/trees.js';
import { runBinary } from './cli.js';
import { figure } from './figures.js';

let work: string;
let results: string;

const root = process.getuid?.() === 0;
const callerUid = process.getuid?.() ?? -1;
const expectedUser = root ? '65532:65532' : `${process.getuid?.()}:${process.getgid?.()}`;

beforeAll(async () => {
  await requireDaemon();
  work = await mkdtemp(join(tmpdir(), 'kmatrix-faults-build-'));
  results = join(work, 'results');
  await writeFile(
    join(work, 'matrix.yaml'),
    [
      'name: faults-hardening',
      `sources: [${JSON.stringify(treePath('6.1'))}]`,
      'architectures: [arm]',
      'runtime: docker',
      'configs:',
      '  - name: tiny',
      '    base: tinyconfig',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const docker = (...args: string[]) => execa('docker', args, { reject: false });

interface Probe {
  id: string;
  user: string;
  network: string;
  capDrop: string[];
  securityOpt: string[];
  pidsLimit: number;
  sourceBind: string;
  inside: {
    uid: string;
    capEff: string;
    noNewPrivs: string;
    pidsMax: string;
    ifaces: string[];
    srcWrite: string;
  };
}

/** While `running`, find this run's make container and probe it once. */
async function probeBuildContainer(running: () => boolean): Promise<Probe | undefined> {
  while (running()) {
    const ids = (await docker('ps', '-q', '--filter', 'label=org.kmatrix.managed')).stdout
      .split('\n')
      .filter(Boolean);
    for (const id of ids) {
      const r = await docker('inspect', id);
      if (r.exitCode !== 0) continue;
      const [c] = JSON.parse(r.stdout) as {
        Config: { User: string; Labels: Record<string, string> };
        HostConfig: {
          Binds: string[];
          NetworkMode: string;
          CapDrop: string[] | null;
          SecurityOpt: string[] | null;
          PidsLimit: number | null;
        };
      }[];
      if (!c || c.Config.Labels['org.kmatrix.argv0'] !== 'make') continue;
      if (!c.HostConfig.Binds.some((b) => b.startsWith(`${results}/`))) continue;
      const sh = async (cmd: string) => {
        const x = await docker('exec', id, 'sh', '-c', cmd);
        return `${x.stdout}${x.stderr}`.trim();
      };
      const status = await sh('cat /proc/1/status');
      return {
        id,
        user: c.Config.User,
        network: c.HostConfig.NetworkMode,
        capDrop: c.HostConfig.CapDrop ?? [],
        securityOpt: c.HostConfig.SecurityOpt ?? [],
        pidsLimit: c.HostConfig.PidsLimit ?? 0,
        sourceBind: c.HostConfig.Binds.find((b) => b.endsWith(':/src:ro')) ?? '',
        inside: {
          uid: await sh('id -u'),
          capEff: /^CapEff:\s*(\S+)/m.exec(status)?.[1] ?? '?',
          noNewPrivs: /^NoNewPrivs:\s*(\S+)/m.exec(status)?.[1] ?? '?',
          pidsMax: await sh(
            'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max',
          ),
          ifaces: (await sh('tail -n +3 /proc/net/dev'))
            .split('\n')
            .map((l) => l.split(':')[0]!.trim())
            .filter(Boolean),
          srcWrite: await sh('touch /src/.kmatrix-probe && echo written || true'),
        },
      };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return undefined;
}

/** Every path under dir with its size (apparent bytes) and owner. */
async function files(dir: string): Promise<{ path: string; bytes: number; uid: number }[]> {
  const out: { path: string; bytes: number; uid: number }[] = [];
  const walk = async (rel: string) => {
    for (const name of await readdir(join(dir, rel))) {
      const p = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(dir, p));
      if (st.isDirectory()) await walk(p);
      else out.push({ path: p, bytes: st.size, uid: st.uid });
    }
  };
  await walk('');
  return out;
}

const sum = (xs: { bytes: number }[]) => xs.reduce((a, x) => a + x.bytes, 0);

interface RunOut {
  summary: { runId: string; runDir: string; cells: { id: string; status: string }[] };
  ms: number;
}

async function kmatrixRun(extra: string[], onSpawn?: (running: () => boolean) => Promise<void>) {
  let done = false;
  const run = runBinary(
    ['run', 'matrix.yaml', '--results', results, '--jobs', '1', '-j', '2', '--json', ...extra],
    { cwd: work },
  ).finally(() => {
    done = true;
  });
  await onSpawn?.(() => !done);
  const r = await run;
  expect(r.code, r.stderr).toBe(0);
  return { summary: JSON.parse(r.stdout) as RunOut['summary'], ms: r.ms };
}

describe('build container hardening and disk use (real builds)', () => {
  let probe: Probe | undefined;
  let first: RunOut;
  let second: RunOut;

  it('builds tinyconfig arm in a hardened container, as a non-root user', async () => {
    first = await kmatrixRun([], async (running) => {
      probe = await probeBuildContainer(running);
    });
    const cell = first.summary.cells[0]!;
    const built = cell.status === 'pass';
    figure({
      group: 'container',
      fault: `a real build under every limit below (tinyconfig arm, kmatrix/gcc, kmatrix as ${root ? 'root' : 'a normal user'})`,
      expected: 'the cell passes',
      measured: `${cell.status} in ${(first.ms / 1000).toFixed(0)} s`,
      ok: built,
    });
    expect(cell.status).toBe('pass');
    expect(probe, 'no make container of this run was seen').toBeDefined();
    const p = probe!;
    const rows: [string, string, string, boolean][] = [
      [
        'container user',
        `${expectedUser}${root ? ' (kmatrix runs as root)' : ''}; id -u inside agrees`,
        `User ${p.user}; id -u ${p.inside.uid}`,
        p.user === expectedUser && p.inside.uid === expectedUser.split(':')[0],
      ],
      [
        'network',
        'none: no interface but lo',
        `NetworkMode ${p.network}; interfaces ${p.inside.ifaces.join(', ')}`,
        p.network === 'none' && p.inside.ifaces.join() === 'lo',
      ],
      [
        'capabilities',
        'all dropped: CapEff 0',
        `CapDrop ${p.capDrop.join(',')}; CapEff ${p.inside.capEff}`,
        p.capDrop.includes('ALL') && /^0+$/.test(p.inside.capEff),
      ],
      [
        'privilege gain (setuid binaries)',
        'no-new-privileges: NoNewPrivs 1',
        `SecurityOpt ${p.securityOpt.join(',')}; NoNewPrivs ${p.inside.noNewPrivs}`,
        p.securityOpt.includes('no-new-privileges') && p.inside.noNewPrivs === '1',
      ],
      [
        'process count',
        `pids limit ${PIDS_LIMIT}`,
        `PidsLimit ${p.pidsLimit}; pids.max ${p.inside.pidsMax}`,
        p.pidsLimit === PIDS_LIMIT && p.inside.pidsMax === String(PIDS_LIMIT),
      ],
      [
        'kernel source',
        'mounted read-only: a write fails',
        `${p.sourceBind.split(':').slice(-2).join(':')}; touch /src/x: ${p.inside.srcWrite.split('\n')[0]}`,
        p.sourceBind.endsWith(':/src:ro') && /Read-only file system/.test(p.inside.srcWrite),
      ],
    ];
    for (const [fault, expected, measured, ok] of rows)
      figure({ group: 'container', fault: `build container: ${fault}`, expected, measured, ok });
    expect(rows.filter((r) => !r[3]).map((r) => `${r[0]}: ${r[2]}`)).toEqual([]);
  });

  it("leaves the output the caller's and a reproducer with the same flags", async () => {
    const cellDir = join(first.summary.runDir, 'cells', first.summary.cells[0]!.id);
    const all = await files(first.summary.runDir);
    const foreign = all.filter((f) => f.uid !== callerUid);
    const repro = await readFile(join(cellDir, 'reproducer.sh'), 'utf8');
    const line = repro.split('\n').find((l) => l.startsWith('docker run ')) ?? '';
    const flags = [
      '--network none',
      '--cap-drop ALL',
      '--security-opt no-new-privileges',
      `--pids-limit ${PIDS_LIMIT}`,
      '--user "$KMATRIX_BUILD_USER"',
      ':/src:ro',
    ];
    const missing = flags.filter((f) => !line.includes(f));
    figure({
      group: 'container',
      fault: 'output dir after the build',
      expected: `every file owned by the invoking user (uid ${callerUid})`,
      measured: `${all.length - foreign.length}/${all.length} files`,
      ok: foreign.length === 0,
    });
    figure({
      group: 'container',
      fault: 'reproducer.sh',
      expected:
        'docker run with the same user, network, capabilities, no-new-privileges, pids limit, read-only source',
      measured: missing.length ? `missing ${missing.join(', ')}` : 'all present',
      ok: missing.length === 0,
    });
    expect(foreign.map((f) => f.path)).toEqual([]);
    expect(missing).toEqual([]);
  });

  it('keeps the artifacts of a built cell and removes its object tree; --keep-build-dirs keeps it', async () => {
    second = await kmatrixRun(['--keep-build-dirs']);
    const cellOf = (r: RunOut) => join(r.summary.runDir, 'cells', r.summary.cells[0]!.id);
    const after = await files(cellOf(first));
    const before = await files(cellOf(second));
    const kept = after.map((f) => f.path).sort();
    const wanted = [
      '.config',
      'System.map',
      'arch/arm/boot/zImage',
      'build.log',
      'diagnostics.json',
      'kconfig.log',
      'kmatrix-config.json',
      'reproducer.sh',
      'result.json',
    ];
    const objects = before.filter((f) => f.path.endsWith('.o')).length;
    const ok =
      JSON.stringify(kept) === JSON.stringify(wanted) && sum(after) < sum(before) && objects > 0;
    figure({
      group: 'disk',
      fault: 'results bytes per built cell (tinyconfig arm)',
      expected: 'only .config, logs, reproducer, results, zImage, System.map kept',
      measured: `before ${formatBytes(sum(before))} (${before.length} files, --keep-build-dirs); after ${formatBytes(sum(after))} (${after.length} files)`,
      ok,
    });
    expect(kept).toEqual(wanted);
    expect(objects).toBeGreaterThan(0);
    expect(sum(after)).toBeLessThan(sum(before));
  });

  it('kmatrix gc --keep-runs 1 removes the older run directory; the store keeps its results', async () => {
    const r = await runBinary(['gc', '--results', results, '--keep-runs', '1', '--json'], {
      cwd: work,
    });
    expect(r.code, r.stderr).toBe(0);
    const gc = JSON.parse(r.stdout) as { runs: { removed: { runId: string; bytes: number }[] } };
    const left = await readdir(join(results, 'runs'));
    const store = new ResultStore(join(results, 'kmatrix.db'));
    let rows: number;
    try {
      rows = store.resultsOf(first.summary.runId).size + store.resultsOf(second.summary.runId).size;
    } finally {
      store.close();
    }
    const removed = gc.runs.removed.map((x) => x.runId);
    const ok =
      JSON.stringify(removed) === JSON.stringify([first.summary.runId]) &&
      JSON.stringify(left) === JSON.stringify([second.summary.runId]) &&
      rows === 2;
    figure({
      group: 'disk',
      fault: 'kmatrix gc --keep-runs 1 after two runs',
      expected: "the older run dir removed; both runs' results still in the store",
      measured: `removed ${removed.join(', ') || 'nothing'} (${formatBytes(gc.runs.removed.reduce((a, x) => a + x.bytes, 0))}); ${left.length} run dir left; ${rows} result rows`,
      ok,
    });
    expect(removed).toEqual([first.summary.runId]);
    expect(left).toEqual([second.summary.runId]);
    expect(rows).toBe(2);
  });
});
