// main() in-process, as a user would see it: --version, --help, and for every command the
// usage errors: exit 2, one `kmatrix: error:` line naming the bad value and what is
// accepted, nothing on stdout and nothing written. None of these needs a kernel tree or a
// Docker daemon (DOCKER_HOST points nowhere, so nothing could reach one).
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '../../helpers/cli.js';

let work: string;
let env: NodeJS.ProcessEnv;
const FILES = ['good.config', 'report.txt'];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-main-'));
  env = {
    PATH: process.env['PATH'],
    HOME: work,
    KMATRIX_CACHE: join(work, 'cache'),
    DOCKER_HOST: 'unix:///nonexistent/kmatrix-test.sock',
  };
  await writeFile(join(work, 'good.config'), 'CONFIG_KEXEC=y\n');
  await writeFile(join(work, 'report.txt'), 'not a robot report\n');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const run = (args: string[], extra: { env?: NodeJS.ProcessEnv } = {}) =>
  runMain(args, { cwd: work, env: { ...env, ...extra.env } });

/** Exit 2, one error line matching `message`, nothing on stdout, nothing written in cwd. */
async function expectUsageError(args: string[], message: RegExp) {
  const r = await run(args);
  expect(r.exitCode, r.stderr).toBe(2);
  expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^kmatrix: error: /)]);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
  expect((await readdir(work)).sort()).toEqual(FILES);
}

describe('kmatrix --version and --help', () => {
  it.each(['--version', '-V'])('%s prints the package.json version and nothing else', async (f) => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const r = await run([f]);
    expect(r).toEqual({ exitCode: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('--help lists every command and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.exitCode).toBe(0);
    for (const c of [
      'config',
      'explain',
      'build',
      'images',
      'bisect',
      'config-bisect',
      'run',
      'triage',
    ])
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(r.stdout).toMatch(/^ {2}repro \[options\] <report>/m);
  });

  it.each([
    ['config'],
    ['explain'],
    ['build'],
    ['images', 'build'],
    ['images', 'list'],
    ['bisect'],
    ['config-bisect'],
    ['run'],
    ['triage'],
    ['repro'],
  ])('%s %s --help exits 0 with its usage', async (...cmd) => {
    const r = await run([...cmd.filter((c) => c !== undefined), '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^Usage: kmatrix /);
    expect(r.stderr).toBe('');
  });

  it('an unknown command is a usage error', async () => {
    await expectUsageError(['bogus'], /unknown command 'bogus'/);
  });
});

const CONFIG = ['config', '--source', '/nonexistent/linux', '--arch', 'arm'];

describe('kmatrix config: bad input', () => {
  it.each<[string, string[], RegExp]>([
    ['missing --source', ['config', '--arch', 'arm'], /required option '--source <src>'/],
    ['missing --arch', ['config', '--source', 'x'], /required option '--arch <arch>'/],
    ['unknown option', [...CONFIG, '--bogus'], /unknown option '--bogus'/],
    [
      'unknown arch',
      ['config', '--source', 'x', '--arch', 'sparc99'],
      /unknown arch "sparc99"; accepted: x86_64.*arm64/,
    ],
    [
      'unknown arch in a list',
      ['config', '--source', 'x', '--arch', 'arm,vax'],
      /unknown arch "vax"; accepted: /,
    ],
    [
      'bare symbol',
      [...CONFIG, '--set', 'CRASH_DUMP'],
      /bad pin "CRASH_DUMP" \(--set\): expected SYMBOL=VALUE/,
    ],
    ['missing symbol', [...CONFIG, '--set', '=y'], /bad pin "=y"/],
    ['bad value', [...CONFIG, '--set', 'FOO=maybe'], /value "maybe" is not y, m, n/],
    [
      'shell in a pin',
      [...CONFIG, '--set', 'FOO=y;rm -rf /'],
      /value "y;rm -rf \/" is not y, m, n/,
    ],
    [
      'unreadable fragment',
      [...CONFIG, '--fragment', 'no-such.config'],
      /cannot read fragment no-such.config: no such file/,
    ],
    [
      'unknown base',
      [...CONFIG, '--base', 'defconfg'],
      /unknown base "defconfg"; expected defconfig/,
    ],
    ['bad seed', [...CONFIG, '--base', 'randconfig', '--seed', 'abc'], /bad --seed "abc"/],
    [
      'unknown toolchain',
      [...CONFIG, '--toolchain', 'icc'],
      /unknown toolchain "icc"; accepted: gcc, clang/,
    ],
    ['bad --jobs', [...CONFIG, '--jobs', '0'], /bad --jobs "0": expected a whole number >= 1/],
    [
      'non-numeric --jobs',
      [...CONFIG, '--jobs', 'many'],
      /bad --jobs "many": expected a whole number >= 1/,
    ],
    [
      'an unknown Debian version',
      ['config', '--source', 'debian:latest', '--arch', 'arm'],
      /bad Debian source "debian:latest": the version must look like 6.1/,
    ],
    [
      'a git source without a ref',
      ['config', '--source', 'git:/src/linux', '--arch', 'arm'],
      /bad git source "git:\/src\/linux": expected git:PATH@REF/,
    ],
  ])('%s', async (_name, args, message) => {
    await expectUsageError([...args, '--out', 'never'], message);
  });

  it('a path that is not a kernel tree', async () => {
    await expectUsageError(
      ['config', '--source', work, '--arch', 'arm', '--out', 'never'],
      /source path .* is not a Linux kernel source tree \(missing Makefile, Kconfig/,
    );
  });

  it('a source path that does not exist', async () => {
    await expectUsageError(
      [...CONFIG, '--out', 'never'],
      /source path \/nonexistent\/linux does not exist or is not a directory; expected a kernel tree path, git:PATH@REF or debian:VERSION/,
    );
  });
});

const BUILD = ['build', '--source', '/nonexistent/linux', '--arch', 'arm'];

describe('kmatrix build: bad input', () => {
  it.each<[string, string[], RegExp]>([
    ['missing --source', ['build', '--arch', 'arm'], /required option '--source <src>'/],
    ['unknown arch', ['build', '--source', 'x', '--arch', 'sparc99'], /unknown arch "sparc99"/],
    [
      'several arches',
      ['build', '--source', 'x', '--arch', 'arm,arm64'],
      /this command takes one --arch, got armhf, arm64/,
    ],
    ['bad pin', [...BUILD, '--set', 'KEXEC'], /bad pin "KEXEC" \(--set\)/],
    [
      'bad --runtime',
      [...BUILD, '--runtime', 'podman'],
      /bad --runtime "podman": expected one of auto, docker, local/,
    ],
    ['bad -j', [...BUILD, '-j', '1.5'], /bad --jobs "1.5": expected a whole number >= 1/],
    [
      'bad --timeout',
      [...BUILD, '--timeout', 'soon'],
      /bad --timeout "soon": expected a positive duration such as 90, 90s, 30m, 2h/,
    ],
    [
      'zero --timeout',
      [...BUILD, '--timeout', '0s'],
      /bad --timeout "0s": expected a positive duration/,
    ],
    [
      'bad --memory',
      [...BUILD, '--memory', 'lots'],
      /bad --memory "lots": expected a number above 0/,
    ],
    ['bad --cpus', [...BUILD, '--cpus', '-2'], /bad --cpus "-2": expected a number above 0/],
    [
      'bad --targets',
      [...BUILD, '--targets', 'kernel,vmlinuz'],
      /bad --targets "kernel,vmlinuz": unknown "vmlinuz"; expected kernel, modules, dtbs/,
    ],
    ['unknown option', [...BUILD, '--bogus'], /unknown option '--bogus'/],
  ])('%s', async (_name, args, message) => {
    await expectUsageError([...args, '--out', 'never'], message);
  });

  it('--runtime docker with no daemon at DOCKER_HOST: exit 2, what was tried and what to do', async () => {
    const r = await run([...BUILD, '--runtime', 'docker', '--out', 'never']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('kmatrix: error: --runtime docker: no Docker daemon answers');
    expect(r.stderr).toContain('unix:///nonexistent/kmatrix-test.sock');
    expect(r.stderr).toContain('scripts/docker-up.sh');
    expect(r.stdout).toBe('');
    expect((await readdir(work)).sort()).toEqual(FILES);
  });
});

describe('kmatrix images: bad input', () => {
  it('an unknown toolchain', async () => {
    await expectUsageError(
      ['images', 'build', '--toolchain', 'gcc,icc'],
      /unknown toolchain "icc" \(--toolchain\); accepted: gcc, clang, all/,
    );
  });

  it('list with no daemon at DOCKER_HOST', async () => {
    const r = await run(['images', 'list']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('kmatrix: error: no Docker daemon answers');
    expect(r.stderr).toContain('unix:///nonexistent/kmatrix-test.sock');
  });
});

describe('kmatrix explain: bad input', () => {
  const EXPLAIN = ['explain', 'KEXEC', '--source', '/nonexistent/linux', '--arch', 's390'];
  it.each<[string, string[], RegExp]>([
    ['missing --config', EXPLAIN, /required option '--config <file>'/],
    [
      'missing symbol',
      ['explain', '--source', 'x', '--arch', 's390', '--config', 'c'],
      /missing required argument 'symbol'/,
    ],
    [
      'unknown arch',
      ['explain', 'KEXEC', '--source', 'x', '--arch', 'vax', '--config', 'c'],
      /unknown arch "vax"; accepted: /,
    ],
    [
      'bad value',
      ['explain', 'KEXEC=maybe', '--source', 'x', '--arch', 's390', '--config', 'c'],
      /bad pin "KEXEC=maybe" \(SYMBOL argument\): value "maybe" is not y, m, n/,
    ],
    [
      'unreadable config',
      [...EXPLAIN, '--config', 'nope.config'],
      /cannot read --config nope.config: no such file/,
    ],
  ])('%s', async (_name, args, message) => {
    await expectUsageError(args, message);
  });
});

const BISECT = [
  'bisect',
  '--repo',
  '/nonexistent/linux',
  '--good',
  'v1',
  '--bad',
  'v2',
  '--arch',
  'x86_64',
];

describe('kmatrix bisect: bad input', () => {
  it.each<[string, string[], RegExp]>([
    [
      'missing --repo',
      ['bisect', '--good', 'a', '--bad', 'b', '--arch', 'arm'],
      /required option '--repo <path>'/,
    ],
    [
      'missing --good',
      ['bisect', '--repo', 'r', '--bad', 'b', '--arch', 'arm'],
      /required option '--good <ref>'/,
    ],
    [
      'missing --arch',
      ['bisect', '--repo', 'r', '--good', 'a', '--bad', 'b'],
      /required option '--arch <arch>'/,
    ],
    [
      'unknown arch',
      ['bisect', '--repo', 'r', '--good', 'a', '--bad', 'b', '--arch', 'vax'],
      /unknown arch "vax"/,
    ],
    ['bad pin', [...BISECT, '--set', 'KEXEC'], /bad pin "KEXEC" \(--set\)/],
    [
      'bad requirement',
      [...BISECT, '--require', 'KEXEC=maybe'],
      /bad pin "KEXEC=maybe" \(--require\)/,
    ],
    [
      'no predicate',
      BISECT,
      /nothing to bisect: give --require SYM=VAL, pins with --set\/--fragment/,
    ],
    [
      'both predicates',
      [...BISECT, '--require', 'KEXEC=n', '--build'],
      /give either --require or --build, not both/,
    ],
    [
      'bad --workers',
      [...BISECT, '--require', 'KEXEC=n', '--workers', '0'],
      /bad --workers "0": expected a whole number >= 1/,
    ],
    [
      'bad --jobs',
      [...BISECT, '--build', '-j', 'x'],
      /bad --jobs "x": expected a whole number >= 1/,
    ],
    [
      'bad --timeout',
      [...BISECT, '--build', '--timeout', '5 minutes'],
      /bad --timeout "5 minutes": expected a positive duration/,
    ],
    [
      'bad --runtime',
      [...BISECT, '--build', '--runtime', 'lxc'],
      /bad --runtime "lxc": expected one of auto, docker, local/,
    ],
    [
      'bad --targets',
      [...BISECT, '--build', '--targets', 'bzImage'],
      /bad --targets "bzImage": unknown "bzImage"/,
    ],
  ])('%s', async (_name, args, message) => {
    await expectUsageError(args, message);
  });
});

const CBISECT = [
  'config-bisect',
  '--source',
  '/nonexistent/linux',
  '--arch',
  'x86_64',
  '--good',
  'good.config',
  '--bad',
  'good.config',
];

describe('kmatrix config-bisect: bad input', () => {
  it.each<[string, string[], RegExp]>([
    [
      'missing --bad',
      ['config-bisect', '--source', 's', '--arch', 'arm', '--good', 'g'],
      /required option '--bad <file>'/,
    ],
    [
      'unknown arch',
      ['config-bisect', '--source', 's', '--arch', 'vax', '--good', 'g', '--bad', 'b'],
      /unknown arch "vax"/,
    ],
    [
      'unknown toolchain',
      [...CBISECT, '--toolchain', 'icc', '--require', 'KEXEC=n'],
      /unknown toolchain "icc"/,
    ],
    [
      'unreadable --good',
      [
        'config-bisect',
        '--source',
        's',
        '--arch',
        'arm',
        '--good',
        'nope.config',
        '--bad',
        'good.config',
        '--require',
        'KEXEC=n',
      ],
      /cannot read --good config nope.config: no such file/,
    ],
    ['no predicate', CBISECT, /give a predicate: --require SYM=VAL \(repeatable\) or --build/],
    [
      'both predicates',
      [...CBISECT, '--require', 'KEXEC=n', '--build'],
      /give either --require or --build, not both/,
    ],
    ['bad requirement', [...CBISECT, '--require', 'KEXEC'], /bad pin "KEXEC" \(--require\)/],
    [
      'bad --jobs',
      [...CBISECT, '--build', '--jobs', '-1'],
      /bad --jobs "-1": expected a whole number >= 1/,
    ],
    ['bad --runtime', [...CBISECT, '--build', '--runtime', 'vm'], /bad --runtime "vm"/],
  ])('%s', async (_name, args, message) => {
    await expectUsageError(args, message);
  });
});

describe('kmatrix run: bad input', () => {
  it.each<[string, string[], RegExp]>([
    [
      'a matrix file that does not exist',
      ['run', 'nope.yaml'],
      /cannot read matrix file nope.yaml: no such file/,
    ],
    [
      '--list of a matrix file that does not exist',
      ['run', '--list', 'nope.yaml'],
      /cannot read matrix file nope.yaml: no such file/,
    ],
    ['bad --jobs', ['run', '--jobs', '0'], /bad --jobs "0": expected a whole number >= 1/],
    ['bad -j', ['run', '-j', 'two'], /bad --make-jobs "two": expected a whole number >= 1/],
    ['bad --config-jobs', ['run', '--config-jobs', '1e9.5'], /bad --config-jobs "1e9.5"/],
    [
      'negative --retries',
      ['run', '--retries', '-1'],
      /bad --retries "-1": expected a whole number >= 0/,
    ],
    [
      'bad --timeout',
      ['run', '--timeout', '1d'],
      /bad --timeout "1d": expected a positive duration/,
    ],
    [
      'bad --runtime',
      ['run', '--runtime', 'podman'],
      /bad --runtime "podman": expected one of auto, docker, local/,
    ],
    ['unknown option', ['run', '--bogus'], /unknown option '--bogus'/],
  ])('%s', async (_name, args, message) => {
    await expectUsageError(args, message);
  });

  it('a matrix file with mistakes: every problem with its position', async () => {
    await writeFile(join(work, 'bad.yaml'), 'architectures: [sparc]\nbogus: 1\n');
    try {
      const r = await run(['run', 'bad.yaml']);
      expect(r.exitCode).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0]).toBe('kmatrix: error: matrix file bad.yaml has 4 problems');
      expect(lines.slice(1)).toEqual([
        expect.stringMatching(/^ {2}bad\.yaml:1:1: sources: missing required key/),
        expect.stringMatching(/^ {2}bad\.yaml:1:1: configs: missing required key/),
        expect.stringMatching(
          /^ {2}bad\.yaml:1:17: architectures\[0\]: unknown architecture; accepted: .*\(found "sparc"\)$/,
        ),
        expect.stringMatching(
          /^ {2}bad\.yaml:2:1: bogus: unknown key "bogus"; accepted: name, sources/,
        ),
      ]);
      expect(r.stdout).toBe('');
      expect((await readdir(work)).sort()).toEqual([...FILES, 'bad.yaml'].sort());
    } finally {
      await rm(join(work, 'bad.yaml'));
    }
  });
});

describe('kmatrix triage: bad input', () => {
  it('a results dir without a store: refused, no store created', async () => {
    await expectUsageError(
      ['triage', '--results', 'nowhere'],
      /no results store at .*nowhere\/kmatrix\.db; give the --results DIR \(or --store FILE\) kmatrix run used/,
    );
  });

  it('a bad -j', async () => {
    await expectUsageError(['triage', '-j', '0'], /bad --make-jobs "0"/);
  });
});

describe('kmatrix repro: bad input', () => {
  it.each<[string, string[], RegExp]>([
    ['missing report', ['repro'], /missing required argument 'report'/],
    [
      'a report that does not exist',
      ['repro', 'nope.txt'],
      /cannot read report nope.txt: no such file/,
    ],
    [
      'both --source and --repo',
      ['repro', 'report.txt', '--source', 's', '--repo', 'r'],
      /give --source or --repo, not both/,
    ],
    [
      'bad --runtime',
      ['repro', 'report.txt', '--runtime', 'podman'],
      /bad --runtime "podman": expected one of auto, docker, local/,
    ],
    ['bad -j', ['repro', 'report.txt', '-j', '0'], /bad --jobs "0": expected a whole number >= 1/],
    [
      'bad --timeout',
      ['repro', 'report.txt', '--timeout', 'never'],
      /bad --timeout "never": expected a positive duration/,
    ],
  ])('%s', async (_name, args, message) => {
    await expectUsageError(args, message);
  });
});
