// Hostile and malformed input across every command: each case must exit 2 with one line that
// names the bad value and where it is (file:line:col for files), print no stack trace, run
// nothing (values carry $(touch MARK) and backticks; MARK must not appear) and write nothing
// (a snapshot of the case's directory before and after). Most cases run main() in-process;
// a few run the built binary to show it behaves the same.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treePath } from '../helpers/trees.js';
import { runBinary, runInProcess, snapshot, STACK_FRAME, written, type CliRun } from './cli.js';
import { figure } from './figures.js';

let root: string;
let MARK: string;
let tree: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kmatrix-faults-input-'));
  MARK = join(root, 'MARK');
  tree = treePath('6.1');
});

afterAll(async () => {
  recordFigures();
  await rm(root, { recursive: true, force: true });
});

interface Ctx {
  dir: string;
  /** $(touch MARK): created if anything ever runs the value through a shell. */
  sub: string;
  /** `touch MARK` */
  tick: string;
  tree: string;
}

type Group = keyof typeof GROUPS;

interface Case {
  group: Group;
  name: string;
  setup?: (c: Ctx) => Promise<void>;
  argv: (c: Ctx) => string[];
  /** The one line that names the bad value and where it is. */
  line: (c: Ctx) => RegExp;
  /** Where that line is printed (repro prints its cannot-run report on stdout). */
  stream?: 'stderr' | 'stdout';
  /** Paths (relative to the case dir) the command may create: its own output dir. */
  mayWrite?: RegExp;
  /** Run the built binary instead of main() in-process; `input` goes to stdin. */
  binary?: boolean;
  input?: (c: Ctx) => Buffer;
}

const GROUPS = {
  yaml: 'matrix file: YAML syntax error, wrong types, duplicate key, unknown key, 100k-deep nesting, unknown arch',
  bombs: 'matrix file: billion-laughs alias bomb, 50 MB file, 900,000-cell expansion',
  bytes: 'matrix file: random binary junk, NUL byte, invalid UTF-8',
  pins: 'pins with $(), backticks, quotes, newlines (--set, --require, explain, matrix pins)',
  paths:
    'paths with spaces, quotes, newlines, leading dashes (--source, matrix sources and arguments, fragments, --repo, reports)',
  configs:
    '.config and fragment files with junk lines, NUL bytes, invalid UTF-8 (--fragment, --base, --config, config-bisect, matrix)',
  reports:
    'report mails: 20 MB, NUL bytes, make lines with ;, $(...), &&; a gzip-bomb config; from stdin too',
  outputs:
    'outputs: symlinked --out pointing elsewhere, --events in a missing dir, refs starting with -',
  options:
    'other option values: arch, toolchain, seed, targets, image, filter, durations, jobs, gc sizes',
} as const;

const yaml = (c: Ctx, name: string, text: string | Buffer) => writeFile(join(c.dir, name), text);
const MATRIX_OK = (configs = '  - name: a\n    base: tinyconfig\n') =>
  `sources: [debian:6.1]\narchitectures: [arm]\nconfigs:\n${configs}`;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** How a value with a newline shows in a one-line message. */
const nl = (s: string) => esc(s.replace(/\n/g, '\\n'));

const CASES: Case[] = [
  // --- matrix files: YAML and schema
  {
    group: 'yaml',
    name: 'YAML syntax error',
    setup: (c) => yaml(c, 'm.yaml', 'sources: [debian:6.1\narchitectures: [arm]\n'),
    argv: () => ['run', 'm.yaml'],
    line: () => /^ {2}m\.yaml:2:1: YAML: .* \(found "architectures: \[arm\]"\)$/,
  },
  {
    group: 'yaml',
    name: 'wrong types',
    setup: (c) => yaml(c, 'm.yaml', 'sources: debian:6.1\narchitectures: 5\nconfigs: {}\n'),
    argv: () => ['run', 'm.yaml', '--list'],
    line: () => /^ {2}m\.yaml:2:16: architectures: expected array \(found 5\)$/,
  },
  {
    group: 'yaml',
    name: 'duplicate key',
    setup: (c) => yaml(c, 'm.yaml', MATRIX_OK() + 'architectures: [arm64]\n'),
    argv: () => ['run', 'm.yaml'],
    line: () => /^ {2}m\.yaml:6:1: YAML: duplicate key.* \(found "architectures: \[arm64\]"\)$/,
  },
  {
    group: 'yaml',
    name: 'unknown key',
    setup: (c) => yaml(c, 'm.yaml', MATRIX_OK() + 'retries_max: 3\n'),
    argv: () => ['run', 'm.yaml'],
    line: () => /^ {2}m\.yaml:6:1: retries_max: unknown key "retries_max"; accepted: name, /,
  },
  {
    group: 'yaml',
    name: '100,000 nested flow sequences',
    setup: (c) => yaml(c, 'm.yaml', 'a: ' + '['.repeat(100_000) + ']'.repeat(100_000) + '\n'),
    argv: () => ['run', 'm.yaml'],
    line: () => /^ {2}m\.yaml:1:\d+: YAML: nested too deeply/,
  },
  {
    group: 'yaml',
    name: 'unknown arch with a command substitution',
    setup: (c) =>
      yaml(
        c,
        'm.yaml',
        `sources: [debian:6.1]\narchitectures: [arm, "arm${c.sub}"]\nconfigs:\n  - name: a\n    base: tinyconfig\n`,
      ),
    argv: () => ['run', 'm.yaml'],
    line: (c) =>
      new RegExp(
        `^ {2}m\\.yaml:2:22: architectures\\[1\\]: unknown architecture; accepted: .*\\(found "arm${esc(c.sub)}"\\)$`,
      ),
  },
  // --- matrix files: resource attacks
  {
    group: 'bombs',
    name: 'billion laughs',
    setup: (c) => {
      const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i < 9; i++) {
        const p = String.fromCharCode(96 + i);
        const n = String.fromCharCode(97 + i);
        levels.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(',')}]`);
      }
      return yaml(c, 'm.yaml', levels.join('\n') + '\nsources: *i\n');
    },
    argv: () => ['run', 'm.yaml'],
    line: () => /^ {2}m\.yaml:2:\d+: YAML: aliases expand to too many nodes.* \(found "\*a"\)$/,
    binary: true,
  },
  {
    group: 'bombs',
    name: '50 MB matrix file',
    setup: (c) => {
      const one = '  - name: c{i}\n    base: tinyconfig\n    pins: [CRASH_DUMP=y]\n';
      const body = Array.from({ length: 900_000 }, (_, i) => one.replace('{i}', String(i)));
      return yaml(c, 'm.yaml', MATRIX_OK(body.join('')));
    },
    argv: () => ['run', 'm.yaml'],
    line: () => /^kmatrix: error: matrix file m\.yaml is \d+\.\d MiB; the limit is 1\.0 MiB$/,
  },
  {
    group: 'bombs',
    name: 'seeds x arches x configs = 900,000 cells',
    setup: (c) => {
      const cfgs = Array.from(
        { length: 100 },
        (_, i) => `  - name: r${i}\n    base: randconfig\n    seeds: 1000\n    pins: [A${i}=y]\n`,
      );
      return yaml(
        c,
        'm.yaml',
        'sources: [debian:6.1]\narchitectures: [x86_64, i386, arm, armel, arm64, s390, riscv64, powerpc64le, mips]\nconfigs:\n' +
          cfgs.join(''),
      );
    },
    argv: () => ['run', 'm.yaml', '--list'],
    line: () =>
      /^ {2}m\.yaml:4:3: configs: the matrix expands to up to 900000 cells .*accepted: at most 10000$/,
  },
  // --- matrix files: bytes
  {
    group: 'bytes',
    name: 'random binary',
    setup: (c) => yaml(c, 'm.yaml', Buffer.concat([Buffer.from('name: x\n'), randomBytes(65536)])),
    argv: () => ['run', 'm.yaml'],
    line: () =>
      /^kmatrix: error: matrix file m\.yaml:\d+:\d+: (NUL byte|invalid UTF-8 byte 0x[0-9a-f]{2});/,
  },
  {
    group: 'bytes',
    name: 'NUL byte',
    setup: (c) => yaml(c, 'm.yaml', MATRIX_OK().replace('[arm]', '[arm\0]')),
    argv: () => ['run', 'm.yaml'],
    line: () => /^kmatrix: error: matrix file m\.yaml:2:20: NUL byte; expected a text file$/,
  },
  {
    group: 'bytes',
    name: 'invalid UTF-8',
    setup: (c) =>
      yaml(
        c,
        'm.yaml',
        Buffer.concat([
          Buffer.from('sources: [debian:6.1]\narchitectures: [arm'),
          Buffer.from([0xc3, 0x28]),
          Buffer.from(']\n'),
        ]),
      ),
    argv: () => ['run', 'm.yaml'],
    line: () =>
      /^kmatrix: error: matrix file m\.yaml:2:20: invalid UTF-8 byte 0xc3; expected UTF-8 text$/,
  },
  // --- pins
  {
    group: 'pins',
    name: '--set with $()',
    argv: (c) => ['config', '--source', c.tree, '--arch', 'arm', '--set', `KEXEC=${c.sub}`],
    line: (c) =>
      new RegExp(
        `^kmatrix: error: bad pin "KEXEC=${esc(c.sub)}" \\(--set\\): value "${esc(c.sub)}"`,
      ),
  },
  {
    group: 'pins',
    name: '--set with backticks',
    argv: (c) => ['build', '--source', c.tree, '--arch', 'arm', '--set', `KEXEC=${c.tick}`],
    line: (c) => new RegExp(`^kmatrix: error: bad pin "KEXEC=${esc(c.tick)}" \\(--set\\)`),
  },
  {
    group: 'pins',
    name: '--set string with a newline (a second .config line)',
    argv: (c) => [
      'config',
      '--source',
      c.tree,
      '--arch',
      'arm',
      '--set',
      'CMDLINE="x\nCONFIG_MODULES=y"',
    ],
    line: () =>
      /^kmatrix: error: bad pin "CMDLINE="x\\nCONFIG_MODULES=y"" \(--set\): value .*one line\)$/,
  },
  {
    group: 'pins',
    name: '--set with an unbalanced quote',
    argv: (c) => ['config', '--source', c.tree, '--arch', 'arm', '--set', 'CMDLINE="a"b"'],
    line: () => /^kmatrix: error: bad pin "CMDLINE="a"b"" \(--set\): value ""a"b"" is not/,
  },
  {
    group: 'pins',
    name: 'symbol name with $()',
    argv: (c) => ['config', '--source', c.tree, '--arch', 'arm', '--set', `A${c.sub}=y`],
    line: (c) =>
      new RegExp(
        `^kmatrix: error: bad pin "A${esc(c.sub)}=y" \\(--set\\): symbol "A${esc(c.sub)}"`,
      ),
  },
  {
    group: 'pins',
    name: 'config-bisect --require with $()',
    setup: async (c) => {
      await writeFile(join(c.dir, 'good'), 'CONFIG_A=y\n');
      await writeFile(join(c.dir, 'bad'), 'CONFIG_A=n\n');
    },
    argv: (c) => [
      'config-bisect',
      '--source',
      c.tree,
      '--arch',
      'arm',
      '--good',
      'good',
      '--bad',
      'bad',
      '--require',
      `A=${c.sub}`,
    ],
    line: (c) => new RegExp(`^kmatrix: error: bad pin "A=${esc(c.sub)}" \\(--require\\)`),
  },
  {
    group: 'pins',
    name: 'explain SYMBOL with backticks',
    setup: (c) => writeFile(join(c.dir, 'c'), 'CONFIG_A=y\n'),
    argv: (c) => [
      'explain',
      `KEXEC${c.tick}`,
      '--source',
      c.tree,
      '--arch',
      'arm',
      '--config',
      'c',
    ],
    line: (c) =>
      new RegExp(`^kmatrix: error: bad pin "KEXEC${esc(c.tick)}=y" \\(SYMBOL argument\\)`),
  },
  {
    group: 'pins',
    name: 'matrix pin with $()',
    setup: (c) =>
      yaml(
        c,
        'm.yaml',
        MATRIX_OK(`  - name: a\n    base: tinyconfig\n    pins: ["KEXEC=${c.sub}"]\n`),
      ),
    argv: () => ['run', 'm.yaml'],
    line: (c) =>
      new RegExp(
        `^ {2}m\\.yaml:6:12: configs\\[0\\]\\.pins\\[0\\]: not a pin; .*\\(found "KEXEC=${esc(c.sub)}"\\)$`,
      ),
  },
  {
    group: 'pins',
    name: 'matrix pin string with a newline',
    setup: (c) =>
      yaml(
        c,
        'm.yaml',
        MATRIX_OK(
          `  - name: a\n    base: tinyconfig\n    pins: ['CMDLINE="a\n\n      CONFIG_X=y"']\n`,
        ),
      ),
    argv: () => ['run', 'm.yaml'],
    line: () =>
      /^ {2}m\.yaml:6:12: configs\[0\]\.pins\[0\]: not a pin; .*\(found "CMDLINE=\\"a\\nCONFIG_X=y\\""\)$/,
  },
  // --- paths
  {
    group: 'paths',
    name: '--source with spaces, quotes and $()',
    argv: (c) => ['config', '--source', join(c.dir, `it's a "tree" ${c.sub}`), '--arch', 'arm'],
    line: (c) =>
      new RegExp(
        `^kmatrix: error: source path ${esc(join(c.dir, `it's a "tree" ${c.sub}`))} does not exist`,
      ),
  },
  {
    group: 'paths',
    name: '--source with a newline',
    argv: (c) => ['config', '--source', join(c.dir, 'tree\nrm -rf x'), '--arch', 'arm'],
    line: (c) =>
      new RegExp(
        `^kmatrix: error: source path ${nl(join(c.dir, 'tree\nrm -rf x'))} does not exist`,
      ),
  },
  {
    group: 'paths',
    name: '--source with a leading dash',
    argv: () => ['config', '--source', '-rf', '--arch', 'arm'],
    line: () => /^kmatrix: error: source path -rf does not exist or is not a directory/,
  },
  {
    group: 'paths',
    name: 'matrix source path with $() and a newline',
    setup: (c) =>
      yaml(
        c,
        'm.yaml',
        `sources: ["./no such\\n${c.sub}"]\narchitectures: [arm]\nconfigs:\n  - name: a\n    base: tinyconfig\n`,
      ),
    argv: () => ['run', 'm.yaml'],
    line: (c) =>
      new RegExp(
        `^ {2}m\\.yaml:1:11: sources\\[0\\]: ${nl(join(c.dir, `no such\n${c.sub}`))} is not a directory; .*\\(found "\\./no such\\\\n${esc(c.sub)}"\\)$`,
      ),
  },
  {
    group: 'paths',
    name: 'matrix file named with a leading dash',
    setup: (c) => yaml(c, '-m.yaml', 'sources: [\n'),
    argv: () => ['run', '--', '-m.yaml'],
    line: () => /^ {2}-m\.yaml:\d+:\d+: YAML: /,
  },
  {
    group: 'paths',
    name: 'fragment path with quotes and a newline',
    argv: (c) => ['config', '--source', c.tree, '--arch', 'arm', '--fragment', `a'b"\n${c.sub}`],
    line: (c) =>
      new RegExp(
        `^kmatrix: error: cannot read fragment a'b"${nl('\n')}${esc(c.sub)}: no such file$`,
      ),
  },
  {
    group: 'paths',
    name: 'bisect --repo with a newline',
    argv: (c) => [
      'bisect',
      '--repo',
      join(c.dir, 'r\nx'),
      '--good',
      'a',
      '--bad',
      'b',
      '--arch',
      'arm',
      '--set',
      'A=y',
    ],
    line: (c) => new RegExp(`^kmatrix: error: ${nl(join(c.dir, 'r\nx'))} is not a git repository`),
  },
  {
    group: 'paths',
    name: 'report that is a directory',
    setup: (c) => mkdir(join(c.dir, 'mail dir')),
    argv: () => ['repro', 'mail dir'],
    line: () => /^kmatrix: error: report mail dir is a directory; expected a file$/,
  },
  // --- .config and fragment files
  {
    group: 'configs',
    name: '--fragment with junk lines',
    setup: (c) => writeFile(join(c.dir, 'f.config'), `CONFIG_A=y\nrm -rf / ${c.sub}\nCONFIG_B=m\n`),
    argv: (c) => ['config', '--source', c.tree, '--arch', 'arm', '--fragment', 'f.config'],
    line: (c) =>
      new RegExp(
        `^kmatrix: error: f\\.config:2: "rm -rf / ${esc(c.sub)}" is not CONFIG_SYMBOL=VALUE`,
      ),
  },
  {
    group: 'configs',
    name: '--fragment with NUL bytes',
    setup: (c) => writeFile(join(c.dir, 'f.config'), 'CONFIG_A=y\nCONFIG_B=\0\0y\n'),
    argv: (c) => ['config', '--source', c.tree, '--arch', 'arm', '--fragment', 'f.config'],
    line: () => /^kmatrix: error: fragment f\.config:2:10: NUL byte; expected a text file$/,
  },
  {
    group: 'configs',
    name: '--fragment with invalid UTF-8',
    setup: (c) =>
      writeFile(join(c.dir, 'f.config'), Buffer.from('CONFIG_A="\xe9t\xe9"\n', 'latin1')),
    argv: (c) => ['build', '--source', c.tree, '--arch', 'arm', '--fragment', 'f.config'],
    line: () =>
      /^kmatrix: error: fragment f\.config:1:11: invalid UTF-8 byte 0xe9; expected UTF-8 text$/,
  },
  {
    group: 'configs',
    name: '--base file with junk lines',
    setup: (c) =>
      writeFile(join(c.dir, 'base.config'), '# a comment\nCONFIG_A=y\nthis is not a config\n'),
    argv: (c) => ['config', '--source', c.tree, '--arch', 'arm', '--base', './base.config'],
    line: () =>
      /^kmatrix: error: --base \.\/base\.config:3: "this is not a config" is not CONFIG_SYMBOL=VALUE/,
  },
  {
    group: 'configs',
    name: 'explain --config of random binary',
    setup: (c) =>
      writeFile(join(c.dir, 'c'), Buffer.concat([Buffer.from('CONFIG_A=y\n'), randomBytes(4096)])),
    argv: (c) => ['explain', 'KEXEC', '--source', c.tree, '--arch', 'arm', '--config', 'c'],
    line: () => /^kmatrix: error: --config c:\d+:\d+: (NUL byte|invalid UTF-8 byte 0x[0-9a-f]{2});/,
  },
  {
    group: 'configs',
    name: 'config-bisect --bad with junk lines',
    setup: async (c) => {
      await writeFile(join(c.dir, 'good'), 'CONFIG_A=y\n');
      await writeFile(join(c.dir, 'bad'), 'CONFIG_A=n\n<<<<<<< HEAD\n');
    },
    argv: (c) => [
      'config-bisect',
      '--source',
      c.tree,
      '--arch',
      'arm',
      '--good',
      'good',
      '--bad',
      'bad',
      '--require',
      'A=y',
    ],
    line: () => /^kmatrix: error: --bad config bad:2: "<<<<<<< HEAD" is not CONFIG_SYMBOL=VALUE/,
  },
  {
    group: 'configs',
    name: 'matrix fragment with junk lines',
    setup: async (c) => {
      await writeFile(join(c.dir, 'k.config'), 'CONFIG_KEXEC=y\nKEXEC=`id`\n');
      await yaml(
        c,
        'm.yaml',
        MATRIX_OK('  - name: a\n    base: tinyconfig\n    fragments: [k.config]\n'),
      );
    },
    argv: () => ['run', 'm.yaml'],
    line: () =>
      /^ {2}m\.yaml:6:17: configs\[0\]\.fragments\[0\]: k\.config:2: "KEXEC=`id`" is not CONFIG_SYMBOL=VALUE/,
  },
  {
    group: 'configs',
    name: 'matrix base file with NUL bytes',
    setup: async (c) => {
      await writeFile(join(c.dir, 'b.config'), 'CONFIG_A=y\n\0');
      await yaml(c, 'm.yaml', MATRIX_OK('  - name: a\n    base: file:b.config\n'));
    },
    argv: () => ['run', 'm.yaml'],
    line: () =>
      /^ {2}m\.yaml:5:11: configs\[0\]\.base: base config file b\.config:2:1: NUL byte; expected a text file$/,
  },
  // --- reports
  {
    group: 'reports',
    name: '20 MB report mail',
    setup: (c) =>
      writeFile(join(c.dir, 'mail'), 'tree: x\n' + '>> kernel/a.c:1:1: error: x\n'.repeat(720_000)),
    argv: () => ['repro', 'mail'],
    line: () => /^kmatrix: error: report mail is 19\.\d MiB; the limit is 8\.0 MiB$/,
  },
  {
    group: 'reports',
    name: 'report with NUL bytes',
    setup: (c) => writeFile(join(c.dir, 'mail'), 'tree: x\ncommit: \0\0abc\n'),
    argv: () => ['repro', 'mail'],
    line: () => /^kmatrix: error: report mail:2:9: NUL byte; expected a text file$/,
  },
  {
    group: 'reports',
    name: 'report whose make line carries ; $(...) &&',
    setup: async (c) => {
      await writeFile(
        join(c.dir, 'mail'),
        [
          'config: arm-randconfig-001',
          'compiler: arm-linux-gnueabi-gcc (GCC) 12.2.0',
          'reproduce:',
          `        make W=1 ARCH=arm O=build_dir; touch ${MARK} && make $(touch ${MARK}) kernel/`,
          '',
          'All errors (new ones prefixed by >>):',
          '>> kernel/a.c:1:1: error: x',
          '',
        ].join('\n'),
      );
      await writeFile(join(c.dir, 'config'), 'CONFIG_A=y\n');
    },
    argv: (c) => ['repro', 'mail', '--source', c.tree, '--runtime', 'local', '--out', 'out'],
    stream: 'stdout',
    line: () =>
      /^ {4}- make line 1 of the report carries shell syntax ";" \(.*O=build_dir; touch .*\); a robot's make line is plain words/,
  },
  {
    group: 'reports',
    name: 'config beside the report is a gzip bomb',
    setup: async (c) => {
      await writeFile(
        join(c.dir, 'mail'),
        'config: arm-randconfig-001\n>> kernel/a.c:1:1: error: x\n',
      );
      await writeFile(
        join(c.dir, 'config.gz'),
        gzipSync(Buffer.alloc(64 * 2 ** 20, 'CONFIG_A=y\n')),
      );
    },
    argv: (c) => ['repro', 'mail', '--source', c.tree, '--runtime', 'local'],
    stream: 'stdout',
    line: (c) =>
      new RegExp(
        `^ {4}- config: ${esc(join(c.dir, 'config.gz'))} looks gzipped but decompresses to more than 16\\.0 MiB$`,
      ),
  },
  {
    group: 'reports',
    name: 'report on stdin with NUL bytes (built CLI)',
    argv: () => ['repro', '-'],
    input: () => Buffer.from('tree: x\n\0\0\0'),
    binary: true,
    line: () => /^kmatrix: error: report \(stdin\):2:1: NUL byte; expected a text file$/,
  },
  {
    group: 'reports',
    name: 'report on stdin, 20 MB (built CLI)',
    argv: () => ['repro', '-'],
    input: () => Buffer.alloc(20 * 2 ** 20, 'x\n'),
    binary: true,
    line: () => /^kmatrix: error: report \(stdin\) is larger than 8\.0 MiB, the limit$/,
  },
  // --- outputs
  {
    group: 'outputs',
    name: '--out is a symlink to another directory',
    setup: async (c) => {
      await mkdir(join(c.dir, 'elsewhere'));
      await writeFile(join(c.dir, 'elsewhere', 'precious'), 'keep me\n');
      await symlink('elsewhere', join(c.dir, 'out'));
    },
    argv: (c) => [
      'config',
      '--source',
      c.tree,
      '--arch',
      'arm',
      '--base',
      'tinyconfig',
      '--out',
      'out',
    ],
    line: (c) =>
      new RegExp(
        `^kmatrix: error: output directory ${esc(join(c.dir, 'out'))} is a symbolic link \\(to elsewhere\\)`,
      ),
  },
  {
    group: 'outputs',
    name: '--out is a dangling symlink (built CLI)',
    setup: (c) => symlink(join(c.dir, 'nowhere'), join(c.dir, 'out')),
    argv: (c) => [
      'build',
      '--source',
      c.tree,
      '--arch',
      'arm',
      '--runtime',
      'local',
      '--out',
      'out',
    ],
    line: (c) =>
      new RegExp(`^kmatrix: error: output directory ${esc(join(c.dir, 'out'))} is a symbolic link`),
    binary: true,
  },
  {
    group: 'outputs',
    name: '--events in a directory that does not exist',
    setup: (c) => yaml(c, 'm.yaml', MATRIX_OK()),
    argv: () => ['run', 'm.yaml', '--events', 'no/such/dir/events.ndjson'],
    line: (c) =>
      new RegExp(
        `^kmatrix: error: cannot write --events ${esc(join(c.dir, 'no/such/dir/events.ndjson'))}: ENOENT$`,
      ),
  },
  {
    group: 'outputs',
    name: 'git ref starting with - (--output=...)',
    argv: (c) => [
      'config',
      '--source',
      `git:${c.dir}@--output=${join(c.dir, 'x')}`,
      '--arch',
      'arm',
    ],
    line: (c) =>
      new RegExp(
        `^kmatrix: error: bad git ref "--output=${esc(join(c.dir, 'x'))}": a ref cannot start with "-"$`,
      ),
  },
  {
    group: 'outputs',
    name: 'bisect --good starting with -',
    argv: (c) => [
      'bisect',
      '--repo',
      c.dir,
      '--good',
      '--upload-pack=touch x',
      '--bad',
      'HEAD',
      '--arch',
      'arm',
      '--set',
      'A=y',
    ],
    line: () =>
      /^kmatrix: error: bad git ref "--upload-pack=touch x": a ref cannot start with "-"$/,
  },
  // --- other options
  {
    group: 'options',
    name: '--arch with $()',
    argv: (c) => ['config', '--source', c.tree, '--arch', `arm,x86${c.sub}`],
    line: () => /^kmatrix: error: unknown arch "x86\$\(touch", ".*MARK\)"; accepted: x86_64/,
  },
  {
    group: 'options',
    name: '--toolchain with ;',
    argv: (c) => ['config', '--source', c.tree, '--arch', 'arm', '--toolchain', 'gcc;id'],
    line: () => /^kmatrix: error: unknown toolchain "gcc;id"; accepted: gcc, clang$/,
  },
  {
    group: 'options',
    name: '--seed with $()',
    argv: (c) => [
      'config',
      '--source',
      c.tree,
      '--arch',
      'arm',
      '--base',
      'randconfig',
      '--seed',
      `1${c.sub}`,
    ],
    line: (c) => new RegExp(`^kmatrix: error: bad --seed "1${esc(c.sub)}": expected a decimal`),
  },
  {
    group: 'options',
    name: '--targets with ;',
    argv: (c) => ['build', '--source', c.tree, '--arch', 'arm', '--targets', 'kernel;reboot'],
    line: () =>
      /^kmatrix: error: bad --targets "kernel;reboot": unknown "kernel;reboot"; expected kernel, /,
  },
  {
    group: 'options',
    name: '--image with $()',
    argv: (c) => [
      'build',
      '--source',
      c.tree,
      '--arch',
      'arm',
      '--runtime',
      'docker',
      '--image',
      c.sub,
    ],
    line: (c) => new RegExp(`^kmatrix: error: bad image reference "${esc(c.sub)}"; accepted: `),
  },
  {
    group: 'options',
    name: '--filter with $()',
    setup: (c) => yaml(c, 'm.yaml', MATRIX_OK()),
    argv: (c) => ['run', 'm.yaml', '--list', '--filter', `arch${c.sub}`],
    line: (c) => new RegExp(`^kmatrix: error: bad --filter "arch${esc(c.sub)}": `),
  },
  {
    group: 'options',
    name: '--timeout of 1000 hours (a timer would fire at once)',
    argv: (c) => ['build', '--source', c.tree, '--arch', 'arm', '--timeout', '1000h'],
    line: () => /^kmatrix: error: bad --timeout "1000h": too long; accepted: at most 596h$/,
  },
  {
    group: 'options',
    name: 'matrix timeout of 0s',
    setup: (c) => yaml(c, 'm.yaml', MATRIX_OK() + 'timeout: 0s\n'),
    argv: () => ['run', 'm.yaml'],
    line: () => /^ {2}m\.yaml:6:10: timeout: not a usable duration; .* \(found "0s"\)$/,
  },
  {
    group: 'options',
    name: '--jobs -1',
    argv: (c) => ['config', '--source', c.tree, '--arch', 'arm', '--jobs', '-1'],
    line: () => /^kmatrix: error: bad --jobs "-1": expected a whole number >= 1$/,
  },
  {
    group: 'options',
    name: 'gc --ccache-max with $()',
    argv: (c) => ['gc', '--cache', '--ccache-max', `5G${c.sub}`],
    line: (c) => new RegExp(`^kmatrix: error: bad --ccache-max "5G${esc(c.sub)}": expected a size`),
  },
  {
    group: 'options',
    name: 'gc --keep-runs 0',
    argv: () => ['gc', '--keep-runs', '0'],
    line: () => /^kmatrix: error: bad --keep-runs "0": /,
  },
  {
    group: 'paths',
    name: 'gc --results of a directory without a store',
    argv: (c) => ['gc', '--keep-runs', '3', '--results', join(c.dir, `no ${c.sub}`)],
    line: (c) =>
      new RegExp(
        `^kmatrix: error: no results store at ${esc(join(c.dir, `no ${c.sub}`, 'kmatrix.db'))}; `,
      ),
  },
  {
    group: 'paths',
    name: 'triage --results of a directory without a store',
    argv: (c) => ['triage', '--results', join(c.dir, `no ${c.sub}`)],
    line: (c) =>
      new RegExp(
        `^kmatrix: error: no results store at ${esc(join(c.dir, `no ${c.sub}`, 'kmatrix.db'))}; `,
      ),
  },
  {
    group: 'paths',
    name: 'triage --store that is not a SQLite database',
    setup: (c) => yaml(c, 'm.yaml', MATRIX_OK()),
    argv: (c) => ['triage', '--store', join(c.dir, 'm.yaml')],
    line: (c) =>
      new RegExp(
        `^kmatrix: error: results store ${esc(join(c.dir, 'm.yaml'))} is damaged: file is not a database`,
      ),
  },
  {
    group: 'paths',
    name: 'matrix triage.good_config file with $() that does not exist',
    setup: (c) =>
      yaml(c, 'm.yaml', MATRIX_OK() + `triage:\n  good_config: "file:g${c.sub}.config"\n`),
    argv: () => ['run', 'm.yaml'],
    line: (c) =>
      new RegExp(
        `^ {2}m\\.yaml:7:16: triage\\.good_config: cannot read good config file file:g${esc(c.sub)}\\.config: no such file; `,
      ),
  },
  {
    group: 'yaml',
    name: 'matrix triage block with a wrong type',
    setup: (c) => yaml(c, 'm.yaml', MATRIX_OK() + 'triage:\n  max_failures: many\n'),
    argv: () => ['run', 'm.yaml'],
    line: () => /^ {2}m\.yaml:7:17: triage\.max_failures: .*\(found "many"\)$/,
  },
  {
    group: 'options',
    name: 'images build --toolchain with $()',
    argv: (c) => ['images', 'build', '--toolchain', `gcc${c.sub}`],
    line: (c) => new RegExp(`^kmatrix: error: unknown toolchain "gcc${esc(c.sub)}"`),
  },
];

interface Outcome {
  c: Case;
  run: CliRun;
  line: boolean;
  stack: boolean;
  marked: boolean;
  stray: string[];
  ok: boolean;
}
const outcomes: Outcome[] = [];

async function runCase(c: Case, i: number): Promise<Outcome> {
  const dir = join(root, `case-${i}`);
  await mkdir(dir);
  const ctx: Ctx = { dir, sub: `$(touch ${MARK})`, tick: `\`touch ${MARK}\``, tree };
  await c.setup?.(ctx);
  const before = await snapshot(dir);
  const env = {
    ...process.env,
    KMATRIX_CACHE: join(root, 'cache'),
    KMATRIX_RESULTS: join(dir, 'results'),
  };
  const argv = c.argv(ctx);
  const run = c.binary
    ? await runBinary(argv, { cwd: dir, env, ...(c.input ? { input: c.input(ctx) } : {}) })
    : await runInProcess(argv, { cwd: dir, env });
  const out = c.stream === 'stdout' ? run.stdout : run.stderr;
  const want = c.line(ctx);
  const line = out.split('\n').some((l) => want.test(l));
  const stack = STACK_FRAME.test(run.stderr) || /internal error/.test(run.stderr);
  const marked = existsSync(MARK);
  const stray = written(before, await snapshot(dir)).filter((p) => !c.mayWrite?.test(p));
  const ok = run.code === 2 && line && !stack && !marked && stray.length === 0;
  return { c, run, line, stack, marked, stray, ok };
}

describe('hostile and malformed input', () => {
  CASES.forEach((c, i) => {
    it(`${c.group}: ${c.name}`, async () => {
      const o = await runCase(c, i);
      outcomes.push(o);
      const shown = `stdout:\n${o.run.stdout.slice(0, 2000)}\nstderr:\n${o.run.stderr.slice(0, 2000)}`;
      expect(o.run.code, shown).toBe(2);
      expect(
        o.line,
        `no line matching ${String(c.line({ dir: '', sub: '', tick: '', tree }))}\n${shown}`,
      ).toBe(true);
      expect(o.stack, shown).toBe(false);
      expect(o.marked, 'the marker file exists: a value was run through a shell').toBe(false);
      expect(o.stray, 'files written').toEqual([]);
    });
  });

  it('has at least 40 cases across every command', () => {
    const commands = new Set(CASES.map((c) => c.argv({ dir: '/d', sub: '', tick: '', tree })[0]));
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect([...commands].sort()).toEqual(
      [
        'bisect',
        'build',
        'config',
        'config-bisect',
        'explain',
        'gc',
        'images',
        'repro',
        'run',
        'triage',
      ].sort(),
    );
  });

  it('the symlinked --out target is untouched', () => {
    const o = outcomes.find((x) => x.c.name === '--out is a symlink to another directory');
    expect(o?.stray).toEqual([]);
  });
});

function recordFigures(): void {
  for (const [group, title] of Object.entries(GROUPS)) {
    const os = outcomes.filter((o) => o.c.group === group);
    if (os.length === 0) continue;
    const good = os.filter((o) => o.ok).length;
    const failed = os.filter((o) => !o.ok).map((o) => o.c.name);
    const bin = os.filter((o) => o.c.binary).length;
    figure({
      group: 'input',
      fault: `${title} (${os.length} cases${bin ? `, ${bin} through the built CLI` : ''})`,
      expected:
        'exit 2; one line naming the value and where; no stack trace; nothing run or written',
      measured: `${good}/${os.length} as expected${failed.length ? ` (not: ${failed.join('; ')})` : ''}; slowest ${Math.max(...os.map((o) => o.run.ms))} ms`,
      ok: good === os.length,
    });
  }
}
