// `kmatrix run` end to end, as a user runs it: the built CLI on real Debian 6.1 trees with
// real Docker builds; the HTML report checked in real headless chromium; resume after
// kill -9 of the CLI; and a planted compile error that shows up as new, then as fixed.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { STATUS_COLOURS } from '../../../src/report/run-html.js';
import { treePath } from '../../helpers/trees.js';
import { kmatrixContainers, requireDaemon } from '../runtime/docker-helpers.js';
import { kmatrix } from '../../helpers/cli.js';
import { hexToRgb, readHtmlGrid } from './helpers.js';

let docker: Awaited<ReturnType<typeof requireDaemon>>['docker'];

beforeAll(async () => {
  ({ docker } = await requireDaemon());
});

async function work(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `kmatrix-run-${name}-`));
}

interface Ev {
  type: string;
  cell?: { id: string };
  stage?: string;
}
async function events(file: string): Promise<Ev[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Ev);
}

describe('kmatrix run (end to end, docker)', () => {
  it('runs 2 tinyconfig builds and 2 config-only cells, writes every report, leaves no container', async () => {
    const dir = await work('e2e');
    await writeFile(
      join(dir, 'matrix.yaml'),
      `name: e2e
sources: [${treePath('6.1')}]
architectures: [arm, arm64]
runtime: docker
timeout: 40m
configs:
  - name: tiny-crash-dump
    base: tinyconfig
    pins: [CRASH_DUMP=y]
  - name: crash-dump-no-kexec
    base: defconfig
    pins: [CRASH_DUMP=y, KEXEC=n, KEXEC_FILE=y]
    build: false
`,
    );
    const r = await kmatrix(dir, ['run', '--json', '--results', 'res']);
    expect(r.exitCode, r.stderr).toBe(r.stdout.includes('"change": "new-failure"') ? 1 : 0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({
      schema: 'kmatrix.run/2',
      interrupted: false,
      baselineRunId: null,
      counts: { total: 4 },
    });
    const by = new Map(
      s.cells.map((c: { arch: string; config: string }) => [`${c.arch}/${c.config}`, c]),
    );
    expect(by.get('armhf/tiny-crash-dump')).toMatchObject({
      status: 'pass',
      build: true,
      artifacts: [expect.stringMatching(/arch\/arm\/boot\/zImage$/)],
    });
    expect(by.get('arm64/tiny-crash-dump')).toMatchObject({
      status: 'pass',
      artifacts: [expect.stringMatching(/arch\/arm64\/boot\/Image$/)],
    });
    // 6.1 on arm has no KEXEC_FILE: that pin is unavailable, a finding the run reports as new.
    expect(by.get('armhf/crash-dump-no-kexec')).toMatchObject({
      status: 'config-unsatisfied',
      change: 'new-failure',
      newProblems: ['pin:KEXEC_FILE:unavailable'],
    });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stderr).toMatch(/runtime: docker/);
    expect(await kmatrixContainers(docker)).toEqual([]);

    const runDir: string = s.runDir;
    const junit = await readFile(join(runDir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuite name="[^"]+" tests="4" failures="1" errors="0" skipped="0"/);
    expect(await readFile(join(runDir, 'summary.md'), 'utf8')).toMatch(
      /\| [^|]+ tiny-crash-dump \| pass \| pass \|/,
    );
    expect(JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')).runId).toBe(s.runId);

    const grid = await readHtmlGrid(join(runDir, 'index.html'));
    expect(grid.title).toBe(`kmatrix run ${s.runId}`);
    expect(grid.cells.map((c) => c.id).sort()).toEqual(
      s.cells.map((c: { id: string }) => c.id).sort(),
    );
    for (const c of grid.cells) {
      expect(c.classes).toContain(`status-${c.status}`);
      expect(c.background).toBe(hexToRgb(STATUS_COLOURS[c.status as keyof typeof STATUS_COLOURS]));
      expect(c.links.map((l) => l.text).sort()).toEqual([
        '.config',
        'diagnostics',
        'log',
        'reproducer',
      ]);
      for (const l of c.links) expect(l, l.href).toMatchObject({ exists: true });
    }
    expect(grid.cells.filter((c) => c.status === 'pass')).toHaveLength(3);

    // The text view: the arch x config table.
    const again = await kmatrix(dir, ['run', '--results', 'res', '--filter', 'build=false']);
    expect(again.stdout).toMatch(/armhf\s+arm64/);
    expect(again.stdout).toMatch(/crash-dump-no-kexec\s+UNSAT\s+pass/);
    expect(again.exitCode).toBe(0); // still failing is not newly broken
  });

  it('resumes after kill -9 of the CLI without losing or redoing finished cells', async () => {
    const dir = await work('resume');
    await writeFile(
      join(dir, 'matrix.yaml'),
      `name: resume
sources: [${treePath('6.1')}]
architectures: [arm, arm64, s390, x86_64, riscv64, i386]
configs:
  - name: def
    base: defconfig
    pins: [CRASH_DUMP=y]
    build: false
`,
    );
    const db = join(dir, 'res', 'kmatrix.db');
    const child = kmatrix(dir, [
      'run',
      '--results',
      'res',
      '--config-jobs',
      '1',
      '--events',
      'ev1.ndjson',
    ]);
    const finishedIn = () => {
      try {
        const d = new Database(db, { readonly: true, fileMustExist: true });
        try {
          return d.prepare('SELECT cell_id, finished_at FROM results').all() as {
            cell_id: string;
            finished_at: string;
          }[];
        } finally {
          d.close();
        }
      } catch {
        return [];
      }
    };
    for (let i = 0; i < 600 && finishedIn().length < 2; i++)
      await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGKILL');
    await child;
    const before = finishedIn();
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(before.length).toBeLessThan(6);
    const ev1 = await events(join(dir, 'ev1.ndjson'));
    const done1 = ev1.filter((e) => e.type === 'cell:done').map((e) => e.cell!.id);
    expect(done1.sort()).toEqual(before.map((b) => b.cell_id).sort());

    const r = await kmatrix(dir, [
      'run',
      '--resume',
      '--results',
      'res',
      '--events',
      'ev2.ndjson',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.counts.status.pass).toBe(6);
    const ev2 = await events(join(dir, 'ev2.ndjson'));
    expect(
      ev2
        .filter((e) => e.type === 'cell:skip')
        .map((e) => e.cell!.id)
        .sort(),
    ).toEqual(done1.sort());
    const started2 = ev2.filter((e) => e.type === 'cell:start').map((e) => e.cell!.id);
    for (const id of done1) expect(started2).not.toContain(id);
    expect(started2).toHaveLength(6 - done1.length);
    const after = new Map(finishedIn().map((x) => [x.cell_id, x.finished_at]));
    expect(after.size).toBe(6);
    for (const b of before) expect(after.get(b.cell_id)).toBe(b.finished_at);
    const d = new Database(db, { readonly: true });
    expect(d.prepare('SELECT id, state FROM runs').all()).toEqual([
      { id: s.runId, state: 'completed' },
    ]);
    d.close();
  });

  it('stops cleanly on SIGINT mid-build: exit 2, no container left, finished cells kept', async () => {
    const dir = await work('sigint');
    await writeFile(
      join(dir, 'matrix.yaml'),
      `name: sigint
sources: [${treePath('6.1')}]
architectures: [arm64]
runtime: docker
configs:
  - name: tiny
    base: tinyconfig
  - name: def
    base: defconfig
    build: false
`,
    );
    const child = kmatrix(dir, ['run', '--results', 'res', '--events', 'ev.ndjson', '--json']);
    let building = false;
    for (let i = 0; i < 1200 && !building; i++) {
      await new Promise((r) => setTimeout(r, 250));
      building = (await events(join(dir, 'ev.ndjson'))).some(
        (e) => e.type === 'cell:start' && e.stage === 'build',
      );
    }
    expect(building).toBe(true);
    await new Promise((r) => setTimeout(r, 3000)); // let the container start compiling
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(2);
    expect(String(r.stderr)).toMatch(
      /stopped \(SIGINT\); finished cells are kept: continue with kmatrix run --resume/,
    );
    const s = JSON.parse(String(r.stdout));
    expect(s.interrupted).toBe(true);
    expect(
      s.cells.map((c: { config: string; status: string }) => `${c.config}:${c.status}`).sort(),
    ).toEqual(['def:pass', 'tiny:cancelled']);
    expect(await kmatrixContainers(docker)).toEqual([]);
    const d = new Database(join(dir, 'res', 'kmatrix.db'), { readonly: true });
    expect(d.prepare('SELECT state FROM runs').all()).toEqual([{ state: 'interrupted' }]);
    d.close();
  });

  it('reports a planted compile error as a new failure, then as fixed (by fingerprint)', async () => {
    const dir = await work('planted');
    const tree = join(dir, 'linux');
    await execa('cp', ['-al', treePath('6.1'), tree]);
    const file = join(tree, 'init', 'version.c');
    const original = await readFile(file, 'utf8');
    await writeFile(
      join(dir, 'matrix.yaml'),
      `name: planted
sources: [./linux]
architectures: [arm]
configs:
  - name: tiny
    base: tinyconfig
`,
    );
    const run = async () => {
      const r = await kmatrix(dir, ['run', '--json', '--results', 'res']);
      expect(r.stdout, r.stderr).toMatch(/^\{/);
      return { code: r.exitCode, s: JSON.parse(r.stdout) };
    };
    const first = await run();
    expect(first.code).toBe(0);
    expect(first.s.cells[0]).toMatchObject({ status: 'pass', change: 'ok' });

    // Never edit a hardlinked file in place: replace it with a modified copy.
    await rm(file);
    await writeFile(
      file,
      original + '\nint kmatrix_planted(void) { return kmatrix_planted_undeclared; }\n',
    );
    const second = await run();
    expect(second.code).toBe(1);
    expect(second.s.baselineRunId).toBe(first.s.runId);
    expect(second.s.cells[0]).toMatchObject({
      status: 'fail',
      change: 'new-failure',
      newProblems: expect.arrayContaining([
        expect.stringMatching(/^init-version\.c:error:kmatrix_planted_undeclared-undeclared/),
      ]),
    });
    expect(await readFile(treePath('6.1') + '/init/version.c', 'utf8')).toBe(original);

    await rm(file);
    await writeFile(file, original);
    const third = await run();
    expect(third.code).toBe(0);
    expect(third.s.baselineRunId).toBe(second.s.runId);
    expect(third.s.cells[0]).toMatchObject({
      status: 'pass',
      change: 'fixed',
      fixedProblems: second.s.cells[0].newProblems,
    });
    await rm(dir, { recursive: true, force: true });
  });
});
