// Every string that reaches a generated shell script is quoted. Each script kmatrix writes
// (a build cell's reproducer.sh for docker and local builds, a config cell's reproducer.sh,
// repro's reproducer.sh, the bisect log) is generated from values that would create a
// marker file if a shell ever expanded them ($(...), backticks, quotes, a newline), then run
// with fake docker/make/kmatrix/git on PATH that record the argv they get: the marker must
// be absent and every value must arrive as the one argument it was.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findArch } from '../../src/arch/arches.js';
import { renderBisectLog } from '../../src/bisect/log.js';
import { runBuild } from '../../src/build/run.js';
import type { ConfigRequest, ConfigResult } from '../../src/config/generate.js';
import type { Cell } from '../../src/matrix/cell.js';
import { execaRunner } from '../../src/process/runner.js';
import { runRepro } from '../../src/repro/run.js';
import { realWork } from '../../src/run/work.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { PIDS_LIMIT } from '../../src/runtime/hardening.js';
import { LocalRuntime } from '../../src/runtime/local.js';
import type { RunCommand, RunOutcome, Runtime, Workspace } from '../../src/runtime/runtime.js';
import type { KernelTree } from '../../src/source/tree.js';
import { configWritten } from '../helpers/results.js';
import { figure } from './figures.js';

let root: string;
let bin: string;
let MARK: string;
/** Values that run `touch MARK` if a shell expands them, and break naive quoting. */
let H: { sub: string; tick: string; nasty: string };

interface Call {
  bin: string;
  argv: string[];
  dockerHost?: string;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kmatrix-faults-scripts-'));
  MARK = join(root, 'MARK');
  H = {
    sub: `$(touch ${MARK})`,
    tick: `\`touch ${MARK}\``,
    nasty: `it's "q" $(touch ${MARK}) \`touch ${MARK}\`\n$(touch ${MARK}) -x`,
  };
  bin = join(root, 'bin');
  await mkdir(bin);
  // Fakes that record their argv (and DOCKER_HOST) as one JSON line each.
  for (const name of ['docker', 'make', 'kmatrix', 'git']) {
    const p = join(bin, name);
    await writeFile(
      p,
      `#!${process.execPath}\nrequire('fs').appendFileSync(process.env.FAKE_LOG, JSON.stringify({ bin: ${JSON.stringify(name)}, argv: process.argv.slice(2), dockerHost: process.env.DOCKER_HOST }) + '\\n');\n`,
    );
    await chmod(p, 0o755);
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Row {
  fault: string;
  marker: boolean;
  intact: boolean;
  ok: boolean;
}
const rows: Row[] = [];
afterAll(() => {
  for (const r of rows)
    figure({
      group: 'scripts',
      fault: r.fault,
      expected: 'marker file absent; every value reaches the command as one unchanged argument',
      measured: `${r.marker ? 'marker CREATED' : 'no marker'}; values ${r.intact ? 'intact' : 'CHANGED'}`,
      ok: r.ok,
    });
});

/** Run a script with the fakes first on PATH; what they were called with. */
async function runScript(script: string, args: string[], cwd: string): Promise<Call[]> {
  const log = join(root, `calls-${Date.now()}-${Math.random()}.jsonl`);
  const r = await execa('bash', [script, ...args], {
    cwd,
    reject: false,
    env: { PATH: `${bin}:/usr/bin:/bin`, FAKE_LOG: log, HOME: root },
    extendEnv: false,
  });
  if (r.exitCode !== 0) throw new Error(`${script} exited ${r.exitCode}:\n${r.stderr}`);
  const text = await readFile(log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Call);
}

/** A runtime whose reproduce() is the real one and whose run() builds nothing. */
class ScriptOnly implements Runtime {
  constructor(private readonly inner: Runtime) {}
  get info() {
    return this.inner.info;
  }
  paths(ws: Workspace) {
    return this.inner.paths(ws);
  }
  reproduce(ws: Workspace, cmd: Pick<RunCommand, 'argv' | 'env'>) {
    return this.inner.reproduce(ws, cmd);
  }
  run(_ws: Workspace, cmd: RunCommand): Promise<RunOutcome> {
    return Promise.resolve({
      kind: 'pass',
      durationMs: 0,
      output: cmd.capture ? 'arm-linux-gnueabihf-gcc (Debian 12.2.0-14) 12.2.0\n' : '',
    });
  }
}

const dockerRuntime = (dockerHost: string) =>
  new DockerRuntime({
    docker: {} as Docker,
    image: 'kmatrix/gcc:latest',
    imageId: `sha256:${'ab'.repeat(32)}`,
    dockerHost,
    serverVersion: '25.0',
  });

async function hostileTree(name: string): Promise<KernelTree> {
  const path = join(root, name);
  await mkdir(path, { recursive: true });
  return {
    spec: { kind: 'path', path },
    path,
    version: '6.1.0',
    label: 'linux-6.1',
    cacheKey: 'k',
  };
}

/** A config stage that writes a hostile .config and records hostile commands. */
function fakeGenerate(configText: string) {
  return async (req: ConfigRequest): Promise<ConfigResult> => {
    const r = await configWritten(req, configText, {
      commands: [`make -C ${req.tree.path} O=${req.outDir} tinyconfig ${H.nasty}`],
    });
    await writeFile(join(req.outDir, 'kmatrix-config.json'), '{}\n');
    await writeFile(join(req.outDir, 'kconfig.log'), '');
    return r;
  };
}

const CONFIG_TEXT = () =>
  [
    'CONFIG_ARM=y',
    `CONFIG_CMDLINE="${H.sub} ${H.tick} it's"`,
    'KMATRIX_CONFIG_EOF',
    `$(touch ${MARK})`,
    '',
  ].join('\n');

function check(fault: string, intact: boolean): void {
  const marker = existsSync(MARK);
  rows.push({ fault, marker, intact, ok: !marker && intact });
  expect(marker, 'the marker exists: a value was run through a shell').toBe(false);
  expect(intact).toBe(true);
}

describe('generated scripts quote every value', () => {
  it.each(['docker', 'local'] as const)(
    'a build cell reproducer.sh (%s runtime): tree, output dir, .config, config commands, DOCKER_HOST',
    async (kind) => {
      const tree = await hostileTree(`tree ${kind} ${H.nasty}`);
      const outDir = join(root, `out ${kind} ${H.nasty}`);
      const host = `unix:///run/${H.sub}.sock`;
      const inner = kind === 'docker' ? dockerRuntime(host) : new LocalRuntime(execaRunner, {});
      const result = await runBuild(
        {
          tree,
          arch: findArch('arm')!,
          toolchain: 'gcc',
          base: { kind: 'tinyconfig' },
          pins: [],
          outDir,
          targets: ['kernel'],
          jobs: 2,
          allowUnsatisfied: false,
        },
        {
          runtime: new ScriptOnly(inner),
          generateConfig: fakeGenerate(CONFIG_TEXT()),
          emit: () => {},
        },
      );
      const out2 = join(root, `repro ${kind} ${H.nasty}`);
      const calls = await runScript(result.files.reproducer, [out2], root);
      // and with no argument: the default output dir (the hostile out dir + -repro)
      const calls2 = await runScript(result.files.reproducer, [], root);
      const tool = kind === 'docker' ? 'docker' : 'make';
      const argv = calls.find((c) => c.bin === tool)?.argv ?? [];
      const config = await readFile(join(out2, '.config'), 'utf8');
      const intact =
        config === CONFIG_TEXT() &&
        (await readFile(join(`${outDir}-repro`, '.config'), 'utf8')) === CONFIG_TEXT() &&
        calls2.some((c) => c.bin === tool) &&
        (kind === 'docker'
          ? argv.includes(`${tree.path}:/src:ro`) &&
            argv.includes(`${out2}:/out:rw`) &&
            calls[0]?.dockerHost === host
          : argv.includes(tree.path) && argv.includes(`O=${out2}`));
      check(`${kind} build reproducer.sh: tree, out dir, .config, make lines, DOCKER_HOST`, intact);
      if (kind === 'docker') {
        // the hand-run reproduction runs as hardened as kmatrix's own builds
        const user =
          process.getuid?.() === 0 ? '65532:65532' : `${process.getuid?.()}:${process.getgid?.()}`;
        expect(argv.slice(0, 12)).toEqual([
          'run',
          '--rm',
          '--network',
          'none',
          '--cap-drop',
          'ALL',
          '--security-opt',
          'no-new-privileges',
          '--pids-limit',
          String(PIDS_LIMIT),
          '--user',
          user,
        ]);
        // and root gets its output dir back
        expect((await stat(out2)).uid).toBe(process.getuid?.());
      }
    },
  );

  it('a config cell reproducer.sh: source, base file, string pin, cell label', async () => {
    const tree = await hostileTree(`cfgtree ${H.nasty}`);
    const runDir = join(root, 'run');
    const outDir = join(runDir, 'cells', 'c1');
    const baseFile = join(root, `base ${H.nasty}.config`);
    const pin = { symbol: 'CMDLINE', value: `"${H.sub} ${H.tick} it's"`, origin: 'matrix' };
    const cell: Cell = {
      id: 'c1',
      source: tree.path,
      sourceResolved: tree.path,
      arch: 'armhf',
      toolchain: 'gcc',
      config: 'c',
      variant: `c ${H.nasty}`,
      base: { kind: 'file', path: baseFile },
      pins: [pin],
      build: false,
      targets: ['kernel'],
      allowUnsatisfied: false,
    };
    const work = realWork({
      runDir,
      tree: () => Promise.resolve(tree),
      runtime: () => Promise.reject(new Error('no builds here')),
      generateConfig: (req) => fakeGenerate(CONFIG_TEXT())(req),
    });
    const stage = await work.config(cell, {
      outDir,
      relDir: 'cells/c1',
      signal: new AbortController().signal,
      timeoutMs: 60_000,
    });
    expect(stage.kind).toBe('configured');
    const out2 = join(root, `cfgout ${H.nasty}`);
    const calls = await runScript(join(outDir, 'reproducer.sh'), [out2], root);
    const argv = calls.find((c) => c.bin === 'kmatrix')?.argv;
    const intact =
      JSON.stringify(argv) ===
      JSON.stringify([
        'config',
        '--source',
        tree.path,
        '--arch',
        'armhf',
        '--base',
        `file:${baseFile}`,
        '--set',
        `CMDLINE=${pin.value}`,
        '--toolchain',
        'gcc',
        '--out',
        out2,
      ]);
    check('config cell reproducer.sh: source, base file, string pin, labels in comments', intact);
  });

  it("repro's reproducer.sh: report dir, config path, source, the report's make variables", async () => {
    const mailDir = join(root, `mail ${H.nasty}`);
    await mkdir(mailDir, { recursive: true });
    const report = [
      'config: arm-randconfig-001',
      'compiler: arm-linux-gnueabihf-gcc (GCC) 12.2.0',
      'reproduce:',
      '        make W=1 ARCH=arm O=build_dir kernel/',
      '',
      'All errors (new ones prefixed by >>):',
      '>> kernel/fork.c:1:1: error: expected x',
      '',
    ].join('\n');
    await writeFile(join(mailDir, 'report'), report);
    await writeFile(join(mailDir, 'config'), 'CONFIG_ARM=y\n');
    const tree = await hostileTree(`reprotree ${H.nasty}`);
    const outDir = join(root, `reproout ${H.nasty}`);
    const r = await runRepro(
      {
        reportText: report,
        reportPath: join(mailDir, 'report'),
        source: tree.path,
        outDir: () => outDir,
        jobs: 2,
      },
      {
        selectRuntime: () =>
          Promise.resolve({
            runtime: new ScriptOnly(dockerRuntime(`unix:///x${H.tick}`)),
            note: 'fake',
          }),
        resolveSource: () => Promise.resolve(tree),
        generateConfig: fakeGenerate(CONFIG_TEXT()),
        kconfigModel: () => Promise.reject(new Error('not needed')),
        commitInRepo: () => Promise.resolve('no-repo'),
        emit: () => {},
      },
    );
    expect(r.build?.reproducer).toBe(join(outDir, 'reproducer.sh'));
    const out2 = join(root, `reproout2 ${H.nasty}`);
    const calls = await runScript(join(outDir, 'reproducer.sh'), [out2], root);
    const argv = calls.find((c) => c.bin === 'docker')?.argv ?? [];
    const intact =
      argv.includes(`${tree.path}:/src:ro`) &&
      argv.includes('W=1') &&
      argv.includes('-k') &&
      argv.includes('kernel/') &&
      (await readFile(join(out2, '.config'), 'utf8')) === CONFIG_TEXT();
    check("repro reproducer.sh: report dir, config, source, the report's make variables", intact);
  });

  it('a bisect log: refs, subjects and notes, run by bash and by git bisect replay', async () => {
    const repo = join(root, 'repo');
    const git = (...a: string[]) => execa('git', ['-C', repo, ...a]);
    await mkdir(repo);
    await execa('git', ['init', '-q', '-b', 'main', repo]);
    await git('config', 'user.email', 't@example.org');
    await git('config', 'user.name', 't');
    const shas: string[] = [];
    for (let i = 0; i < 4; i++) {
      await writeFile(join(repo, 'f'), String(i));
      await git('add', 'f');
      await git('commit', '-q', '-m', `step ${i} ${H.sub} ${H.tick} it's "q"`);
      shas.push((await git('rev-parse', 'HEAD')).stdout.trim());
    }
    // ref names may hold $, (, ), backticks and quotes
    const goodRef = `good$(touch\${IFS}${MARK})`;
    const badRef = `bad\`touch\${IFS}${MARK}\``;
    await git('branch', goodRef, shas[0]!);
    await git('branch', badRef, shas[3]!);
    const subject = (await git('log', '-1', '--format=%s', shas[1]!)).stdout;
    const log = renderBisectLog({
      good: goodRef,
      bad: badRef,
      firstParent: true,
      entries: [
        { sha: shas[1]!, subject, verdict: 'good' },
        { sha: shas[2]!, subject, verdict: 'bad', note: `inferred from ${H.nasty}` },
      ],
      firstBad: { sha: shas[2]!, subject },
    });
    const logFile = join(root, 'bisect.log');
    await writeFile(logFile, log);
    // as a shell script (some people `sh` it), with a fake git
    const calls = await runScript(logFile, [], root);
    const start = calls.find((c) => c.argv[1] === 'start')?.argv;
    // as git means it: replay in the repository
    await git('bisect', 'replay', logFile);
    const replayed = (await git('bisect', 'log')).stdout;
    await git('bisect', 'reset');
    const intact =
      JSON.stringify(start) ===
        JSON.stringify(['bisect', 'start', '--first-parent', badRef, goodRef]) &&
      calls.filter((c) => c.bin === 'git').length === 3 &&
      replayed.includes(`# first bad commit: [${shas[2]}]`);
    check('bisect log: refs, commit subjects, notes (bash and git bisect replay)', intact);
  });
});
