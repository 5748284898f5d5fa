// The triage of one failure (triageFailure) on a real git history, with the machine failing
// where it matters: a baseline commit gone from the repository (a force-pushed branch) is said
// plainly and nothing is bisected; a rewritten branch is bisected from the merge base, and
// when git fails inside a bisection step the triage ends as infra-error and blames no commit.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createExecaRunner, type ProcessRunner } from '../../../src/process/runner.js';
import type { CellResult } from '../../../src/results/result.js';
import { triageFailure, type RunFacts } from '../../../src/triage/failure.js';
import type { TriageEnv } from '../../../src/triage/env.js';
import type { FailureGroup } from '../../../src/triage/plan.js';
import { cell, cellResult } from '../../helpers/results.js';

let dir: string;
let repo: string;
const ENV = {
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t.invalid',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t.invalid',
};
const git = async (...args: string[]) =>
  (await execa('git', ['-C', repo, ...args], { env: ENV })).stdout.trim();

/** A commit on the current branch that changes arch/arm64/Kconfig (a Kconfig input). */
async function commit(i: number): Promise<string> {
  await writeFile(join(repo, 'arch/arm64/Kconfig'), `config KEXEC\n\tbool "kexec ${i}"\n`);
  await git('add', '-A');
  await git('commit', '-q', '-m', `arm64: change ${i}`);
  return git('rev-parse', 'HEAD');
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kmatrix-triage-failure-'));
  repo = join(dir, 'linux');
  await execa('git', ['init', '-q', '-b', 'master', repo]);
  await execa('mkdir', ['-p', join(repo, 'arch/arm64')]);
  await writeFile(join(repo, 'Kconfig'), 'source "arch/$(SRCARCH)/Kconfig"\n');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SOURCE = 'git:/repo@master';
const pinCell = cell('c1', {
  source: SOURCE,
  build: false,
  pins: [{ symbol: 'KEXEC', value: 'n', origin: 'matrix.yaml' }],
});
const result = (status: CellResult['status']): CellResult =>
  cellResult('c1', {
    status,
    stage: 'config',
    verdict: status === 'pass' ? 'satisfied' : 'unsatisfied',
    pins:
      status === 'pass'
        ? []
        : [{ symbol: 'KEXEC', requested: 'n', effective: 'y', status: 'overridden', origin: 'm' }],
    buildMs: 0,
    finishedAt: '2026-01-01T00:00:00Z',
  });
const group: FailureGroup = {
  key: 'k',
  n: 1,
  cell: pinCell,
  result: result('config-unsatisfied'),
  members: [pinCell],
  fingerprints: ['pin:KEXEC:overridden'],
};

function facts(good: string, bad: string): RunFacts {
  const src = (commit: string) => ({ [SOURCE]: { repo, ref: 'master', commit } });
  return {
    runId: 'r2',
    runDir: join(dir, 'runs', 'r2'),
    cells: [pinCell],
    results: new Map([['c1', group.result]]),
    sources: src(bad),
    baseline: { runId: 'r1', results: new Map([['c1', result('pass')]]), sources: src(good) },
    why: new Map(),
    settings: {
      enabled: true,
      maxFailures: 10,
      timeoutMs: 3_600_000,
      verify: true,
      goodConfig: null,
    },
  };
}

/** The real runner, except that git cannot write a bisect worker's files (a full disk). */
function diskFullInSteps(seen: string[]): ProcessRunner {
  const real = createExecaRunner({ cleanup: true });
  return {
    async run(file, args, o) {
      seen.push([file, ...args].join(' '));
      if (file === 'git' && args.includes('checkout-index'))
        return {
          command: `git ${args.join(' ')}`,
          exitCode: 128,
          signal: undefined,
          stdout: '',
          stderr: 'fatal: unable to write new index file: No space left on device',
          timedOut: false,
          cancelled: false,
          failed: true,
        };
      return real.run(file, args, o);
    },
    pipeline: (steps, o) => real.pipeline(steps, o),
  };
}

function env(runner: ProcessRunner, notes: string[]): TriageEnv {
  return {
    runner,
    env: process.env,
    cacheDir: join(dir, 'cache'),
    scratch: join(dir, 'scratch'),
    runtime: () => Promise.reject(new Error('no build is needed for a pin')),
    tree: () => Promise.reject(new Error('no tree is needed for a pin')),
    jobs: 1,
    signal: new AbortController().signal,
    note: (m) => notes.push(m),
  };
}

describe('triage of one failure against a real history', () => {
  it('says plainly that the baseline commit is gone, and bisects nothing', async () => {
    await commit(1);
    const bad = await commit(2);
    const gone = 'f'.repeat(40);
    const seen: string[] = [];
    const rec = await triageFailure(group, facts(gone, bad), env(diskFullInSteps(seen), []));
    expect(rec).toMatchObject({
      status: 'done',
      culprit: null,
      suspect: null,
      verification: 'not-run',
      search: { method: 'none', outcome: 'not-run' },
    });
    expect(rec.reason).toMatch(
      new RegExp(`the baseline commit f{12} \\(run r1\\) is not in ${repo} any more`),
    );
    expect(seen.some((c) => c.includes('checkout-index'))).toBe(false);
    // The report says it too.
    const mail = await readFile(join(dir, 'runs', 'r2', rec.report!), 'utf8');
    expect(mail).toContain('is not in');
  });

  it('bisects a rewritten branch from the merge base; git failing in a step is infra-error, no commit blamed', async () => {
    const base = await commit(1);
    const old = await commit(2); // the baseline run's commit, then the branch is rewritten
    await git('reset', '-q', '--hard', base);
    for (let i = 3; i <= 6; i++) await commit(i);
    const bad = await git('rev-parse', 'HEAD');
    const seen: string[] = [];
    const notes: string[] = [];
    const rec = await triageFailure(group, facts(old, bad), env(diskFullInSteps(seen), notes));
    expect(notes).toContain(
      `the baseline commit ${old.slice(0, 12)} (run r1) is not an ancestor of ${bad.slice(0, 12)} (the branch was rewritten); bisecting from their merge base ${base.slice(0, 12)}`,
    );
    expect(seen.some((c) => c.includes('checkout-index'))).toBe(true);
    expect(rec).toMatchObject({
      status: 'infra-error',
      culprit: null,
      suspect: null,
      verification: 'not-run',
      verify: [],
    });
    expect(rec.reason).toMatch(/No space left on device/);
    const mail = await readFile(join(dir, 'runs', 'r2', rec.report!), 'utf8');
    expect(mail).toContain('first bad commit: not found');
    expect(mail).toMatch(/infra-error \(git failed: .*No space left on device\)/);
  });
});
