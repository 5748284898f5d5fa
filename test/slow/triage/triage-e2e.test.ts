// `kmatrix run` with triage, end to end as a nightly runs it: a matrix over git:REPO@master
// on a real history of Debian's 6.1 tree (test/slow/triage/planted.ts), real Docker builds.
// Run once at the base commit (passes); advance master by 30 commits that include a build
// break showing only on arm with CRASH_DUMP=y KEXEC=n and a Kconfig change that makes the
// arm64 pin KEXEC=n stop holding; run again: exit 1, both failures triaged to the planted
// commits and verified (the build break by its revert too), the smallest config named, every
// broken cell's why inline, and both reports reproduced by `kmatrix repro` from their text.
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendCommits, bareBaseRepo, git } from '../../helpers/history.js';
import { treePath } from '../../helpers/trees.js';
import { requireDaemon } from '../runtime/docker-helpers.js';
import { kmatrix } from '../../helpers/cli.js';
import { plantedCommits } from './planted.js';

let work: string;
let repo: string;
let shas: string[];
const planted = plantedCommits();

/** tmpfs when there is one: the repository is a whole kernel tree. */
async function scratch(): Promise<string> {
  const shm = await access('/dev/shm').then(
    () => '/dev/shm',
    () => tmpdir(),
  );
  return mkdtemp(join(shm, 'kmatrix-triage-e2e-'));
}

beforeAll(async () => {
  await requireDaemon();
  work = await scratch();
  repo = join(work, 'linux.git');
  const base = await bareBaseRepo(treePath('6.1'), repo);
  shas = [base, ...(await appendCommits(repo, planted.commits))];
  await git(repo, ['update-ref', 'refs/heads/master', base]);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const MATRIX = (repoPath: string) => `name: nightly-triage
sources: [git:${repoPath}@master]
architectures: [armel]
runtime: docker
timeout: 30m
configs:
  - name: tiny
    base: tinyconfig
    build: false
  - name: crash
    base: tinyconfig
    pins: [CRASH_DUMP=y, KEXEC=n]
  - name: kexec-pin
    base: tinyconfig
    pins: [CRASH_DUMP=y, KEXEC=n]
    build: false
exclude:
  - config: kexec-pin
include:
  - config: kexec-pin
    arch: arm64
triage:
  max_failures: 4
  timeout: 40m
`;

interface Expl {
  symbol: string;
  text: string;
}

interface Cell {
  id: string;
  arch: string;
  config: string;
  status: string;
  change: string;
  why: {
    pins: { symbol: string; explanation: string | null }[];
    errors: { fingerprint: string }[];
  } | null;
  triage: {
    status: string;
    reason: string | null;
    culprit: { commit: string; subject: string; author: string; date: string } | null;
    verification: string;
    minimalConfig: { symbol: string; value: string }[] | null;
    minimization: { outcome: string; good: string | null } | null;
    report: string | null;
    search: {
      method: string;
      objects: string[] | null;
      good: string;
      diffstat: string | null;
      hunks: { file: string; text: string }[];
      explanation: { before: Expl[]; after: Expl[] } | null;
    };
    verify: { what: string; got: string }[];
  } | null;
}

describe('kmatrix run with triage (docker, git history of 6.1)', () => {
  it(
    'triages a build break and a pin that stopped holding to their commits, verified, with reports that round-trip',
    async () => {
      await writeFile(join(work, 'matrix.yaml'), MATRIX(repo));
      const r1 = await kmatrix(work, ['run', '--json', '--results', 'res']);
      expect(r1.exitCode, r1.stderr).toBe(0);
      const s1 = JSON.parse(r1.stdout);
      expect(s1.triage.state).toBe('not-run');

      await git(repo, ['update-ref', 'refs/heads/master', shas[shas.length - 1]!]);
      const r2 = await kmatrix(work, ['run', '--json', '--results', 'res']);
      expect(r2.exitCode, r2.stderr).toBe(1);
      const s2 = JSON.parse(r2.stdout);
      expect(s2).toMatchObject({
        schema: 'kmatrix.run/2',
        baselineRunId: s1.runId,
        triage: { state: 'done' },
      });
      const by = new Map<string, Cell>(s2.cells.map((c: Cell) => [`${c.arch}/${c.config}`, c]));

      // The build break: bisected with object-only steps, verified by rebuilding the culprit,
      // its parent and the revert on tonight's commit.
      const crash = by.get('armel/crash')!;
      expect(crash).toMatchObject({ status: 'fail', change: 'new-failure' });
      expect(crash.why?.errors[0]?.fingerprint).toMatch(
        /^arch-arm-kernel-crash_dump\.c:error:kmatrix_kexec_only_symbol-undeclared/,
      );
      expect(crash.triage, JSON.stringify(crash.triage?.reason)).toMatchObject({
        status: 'done',
        culprit: {
          commit: shas[planted.build],
          subject: expect.stringMatching(/^arm: crash_dump/),
          author: 'kmatrix test',
          date: expect.stringMatching(/^2024-01-02T/),
        },
        verification: 'revert-fixes',
        search: { method: 'build', objects: ['arch/arm/kernel/crash_dump.o'], good: shas[0] },
      });
      expect(crash.triage!.verify.map((v) => `${v.what}:${v.got}`)).toEqual([
        'culprit:bad',
        'parent:good',
        'revert:good',
      ]);
      expect(crash.triage!.search.diffstat).toMatch(/arch\/arm\/kernel\/crash_dump\.c \|/);
      // Tonight's end of the object-only search is not built again: the run's build failed
      // compiling exactly that object.
      expect(r2.stderr).toMatch(
        /bad endpoint [0-9a-f]{12} is bad: the build of run \S+ failed compiling arch\/arm\/kernel\/crash_dump\.o with it/,
      );
      // The smallest config against the passing tinyconfig cell of the same run.
      expect(crash.triage!.minimalConfig).toEqual([{ symbol: 'CRASH_DUMP', value: 'y' }]);

      // The pin: bisect --require, no build at all.
      const pin = by.get('arm64/kexec-pin')!;
      expect(pin).toMatchObject({ status: 'config-unsatisfied', change: 'new-failure' });
      expect(pin.why?.pins[0]).toMatchObject({ symbol: 'KEXEC' });
      expect(pin.why?.pins[0]?.explanation).toMatch(/selected by CRASH_DUMP=y/);
      expect(pin.triage).toMatchObject({
        status: 'done',
        culprit: {
          commit: shas[planted.kconfig],
          subject: 'arm64: kexec: CRASH_DUMP selects KEXEC',
        },
        verification: 'revert-fixes',
        search: { method: 'require', objects: null },
        minimalConfig: null,
      });
      // The Kconfig hunk and the model's explanation at the parent (holds) and the culprit.
      const hunk = pin.triage!.search.hunks.find((h) => h.file === 'arch/arm64/Kconfig');
      expect(hunk?.text).toContain('+\tselect KEXEC');
      expect(pin.triage!.search.explanation?.after[0]?.text).toMatch(/selected by CRASH_DUMP=y/);
      expect(pin.triage!.search.explanation?.before[0]?.text).toMatch(/KEXEC=n: holds/);
      expect(by.get('armel/tiny')).toMatchObject({ status: 'pass', triage: null, why: null });

      // What the user reads: terminal, summary.md, index.html, the report mails.
      const text = (await kmatrix(work, ['triage', s2.runId, '--results', 'res'])).stdout;
      expect(text).toContain(`culprit ${shas[planted.build]!.slice(0, 12)}`);
      const md = await readFile(join(s2.runDir, 'summary.md'), 'utf8');
      expect(md).toMatch(/pin KEXEC=n: overridden \(got y\)/);
      expect(md).toMatch(/selected by CRASH_DUMP=y/);
      const html = await readFile(join(s2.runDir, 'index.html'), 'utf8');
      expect(html).toContain(`id="why-${crash.id}"`);
      expect(html).toContain('kmatrix_kexec_only_symbol');
      const mail = await readFile(join(s2.runDir, crash.triage!.report!), 'utf8');
      expect(mail).toContain(`commit: ${shas[planted.build]}`);
      expect(mail).toMatch(
        /^>> arch\/arm\/kernel\/crash_dump\.c:\d+:\d+: error: 'kmatrix_kexec_only_symbol' undeclared/m,
      );
      expect(mail).toMatch(/verification: revert-fixes/);

      // Round trip: kmatrix repro reads the mail back and reproduces the error.
      const repro = await kmatrix(work, [
        'repro',
        join(s2.runDir, crash.triage!.report!),
        '--repo',
        repo,
        '--runtime',
        'docker',
        '--json',
        '--out',
        join(work, 'repro'),
      ]);
      expect(repro.exitCode, repro.stderr + repro.stdout).toBe(0);
      expect(JSON.parse(repro.stdout)).toMatchObject({ verdict: 'reproduced' });

      // The pin report round-trips too: merge_config.sh's lines are its errors, and repro
      // applies the request to the report's config at the culprit, by conf alone.
      const pinMail = await readFile(join(s2.runDir, pin.triage!.report!), 'utf8');
      expect(pinMail).toContain('>> Value requested for CONFIG_KEXEC not in final .config');
      const pinRepro = await kmatrix(work, [
        'repro',
        join(s2.runDir, pin.triage!.report!),
        '--repo',
        repo,
        '--json',
        '--out',
        join(work, 'repro-pin'),
      ]);
      expect(pinRepro.exitCode, pinRepro.stderr + pinRepro.stdout).toBe(0);
      expect(JSON.parse(pinRepro.stdout)).toMatchObject({
        verdict: 'reproduced',
        plan: { stage: 'config', source: `git:${repo}@${shas[planted.kconfig]}` },
        build: null,
        outcomes: [{ found: true, issue: { request: { symbol: 'KEXEC', requested: 'n' } } }],
      });
    },
    45 * 60_000,
  );
});
