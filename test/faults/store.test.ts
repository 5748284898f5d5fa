// Storage fault 6: a results store that cannot be used. Garbage bytes, a truncated file, a
// write lock held by another program, a database written by a newer kmatrix: each must give
// one clear error naming the store (exit 2, no stack trace) and leave the file as it was, and
// the documented recovery must work. And a new store created by several processes at once
// (two `kmatrix run` on a fresh results dir) must open in every one of them.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, stat, truncate, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { figure } from './figures.js';
import { kmatrix, removeDir, storedRuns, workDir } from './process-helpers.js';

const MATRIX = `name: store-fault
sources: [debian:6.1]
architectures: [arm]
configs:
  - name: tiny
    base: tinyconfig
    build: false
`;

let dir: string;
/** A good store with one completed run, copied into each case. */
let good: string;

beforeAll(async () => {
  dir = await workDir('store');
  await writeFile(join(dir, 'matrix.yaml'), MATRIX);
  const r = await kmatrix(dir, ['run', '--results', 'good']);
  if (r.exitCode !== 0) throw new Error(`making a good store failed: ${r.stderr}`);
  good = join(dir, 'good', 'kmatrix.db');
});
afterAll(async () => {
  await removeDir(dir);
});

const sha = async (f: string) =>
  createHash('sha256')
    .update(await readFile(f))
    .digest('hex');

/** A results dir holding `db` as its store. */
async function resultsWith(name: string, make: (db: string) => Promise<void>): Promise<string> {
  const res = join(dir, name);
  await mkdir(res, { recursive: true });
  await make(join(res, 'kmatrix.db'));
  return res;
}

/** Run kmatrix on a broken store; what the user sees, and whether the file was left alone. */
async function runOn(res: string, extra: string[] = []) {
  const db = join(res, 'kmatrix.db');
  const before = await sha(db);
  const r = await kmatrix(dir, ['run', '--results', res, ...extra]);
  const lines = r.stderr.trim().split('\n');
  return {
    r,
    first: lines.find((l) => l.startsWith('kmatrix: error:')) ?? lines[0] ?? '',
    stack: /\n\s+at .+:\d+:\d+/.test(r.stderr),
    unchanged: (await sha(db)) === before,
  };
}

describe('a results store that cannot be used', () => {
  it('garbage bytes: a clear error; moving it aside is the recovery', async () => {
    const res = await resultsWith('garbage', (db) =>
      writeFile(db, Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919) % 251))),
    );
    const m = await runOn(res);
    const db = join(res, 'kmatrix.db');
    expect(m.r.exitCode).toBe(2);
    expect(m.first).toBe(
      `kmatrix: error: results store ${db} is damaged: file is not a database (SQLITE_NOTADB)`,
    );
    expect(m.r.stderr).toContain(`mv ${db} ${db}.broken`);
    expect(m.stack).toBe(false);
    expect(m.unchanged).toBe(true);
    await rename(db, `${db}.broken`);
    const again = await kmatrix(dir, ['run', '--results', res]);
    expect(again.exitCode, again.stderr).toBe(0);
    const ok = m.r.exitCode === 2 && !m.stack && m.unchanged && again.exitCode === 0;
    figure({
      group: 'storage',
      fault: '`kmatrix.db` is garbage (64 KiB of non-SQLite bytes)',
      expected:
        'a clear error naming the store, exit 2, no stack trace, file untouched; a documented recovery',
      measured: `exit ${m.r.exitCode}: "${m.first.replace(dir, '…')}"; file ${m.unchanged ? 'untouched' : 'CHANGED'}; after \`mv kmatrix.db kmatrix.db.broken\` the run exits ${again.exitCode}`,
      ok,
    });
  });

  it('truncated to half: a clear error, on a new run and on --resume', async () => {
    const res = await resultsWith('truncated', async (db) => {
      await copyFile(good, db);
      const { size } = await stat(db);
      await truncate(db, Math.floor(size / 2));
    });
    const db = join(res, 'kmatrix.db');
    const m = await runOn(res);
    const resumed = await runOn(res, ['--resume']);
    const want = `kmatrix: error: results store ${db} is damaged: database disk image is malformed (SQLITE_CORRUPT)`;
    expect(m.r.exitCode).toBe(2);
    expect(m.first).toBe(want);
    expect(resumed.r.exitCode).toBe(2);
    expect(resumed.first).toBe(want);
    expect(m.stack || resumed.stack).toBe(false);
    expect(m.unchanged && resumed.unchanged).toBe(true);
    const ok =
      m.r.exitCode === 2 &&
      resumed.r.exitCode === 2 &&
      m.first === want &&
      resumed.first === want &&
      !m.stack &&
      !resumed.stack &&
      m.unchanged &&
      resumed.unchanged;
    figure({
      group: 'storage',
      fault: '`kmatrix.db` truncated to half its size',
      expected: 'a clear error naming the store (run and --resume), exit 2, no stack trace',
      measured: `exit ${m.r.exitCode} and ${resumed.r.exitCode} (--resume): "${m.first.replace(dir, '…')}"; file ${m.unchanged ? 'untouched' : 'CHANGED'}`,
      ok,
    });
  });

  it('locked by another program: a clear error after the busy timeout, then it works', async () => {
    const res = await resultsWith('locked', (db) => copyFile(good, db));
    const db = join(res, 'kmatrix.db');
    // Another process holds the write lock (as a backup tool or a stuck writer would).
    const holder = execa(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const d = new D(${JSON.stringify(db)});
         d.exec('BEGIN EXCLUSIVE'); console.log('locked'); setInterval(() => {}, 1000);`,
      ],
      { cwd: resolve('.'), reject: false },
    );
    await new Promise<void>((ok) => holder.stdout.once('data', () => ok()));
    const m = await runOn(res);
    holder.kill('SIGKILL');
    await holder;
    const after = await kmatrix(dir, ['run', '--results', res]);
    expect(m.r.exitCode).toBe(2);
    expect(m.first).toBe(
      `kmatrix: error: results store ${db} is locked by another program: database is locked (SQLITE_BUSY)`,
    );
    expect(m.stack).toBe(false);
    expect(after.exitCode, after.stderr).toBe(0);
    expect(storedRuns(db).map((r) => r.state)).toEqual(['completed', 'completed']);
    const ok = m.r.exitCode === 2 && !m.stack && after.exitCode === 0;
    figure({
      group: 'storage',
      fault: 'the store write-locked by another process (`BEGIN EXCLUSIVE` held)',
      expected:
        'a clear error naming the store after the 10 s busy timeout, exit 2; works once released',
      measured: `exit ${m.r.exitCode}: "${m.first.replace(dir, '…')}"; after the holder exits the run exits ${after.exitCode}`,
      ok,
    });
  });

  it('written by a newer kmatrix: refused, the store untouched', async () => {
    const res = await resultsWith('newer', async (db) => {
      await copyFile(good, db);
      const d = new Database(db);
      d.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
      d.close();
    });
    const db = join(res, 'kmatrix.db');
    const m = await runOn(res);
    expect(m.r.exitCode).toBe(2);
    expect(m.first).toMatch(
      new RegExp(
        `^kmatrix: error: results store ${db.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} has schema version 99; this kmatrix reads versions up to \\d+ \\(a newer kmatrix wrote it\\)$`,
      ),
    );
    expect(m.stack).toBe(false);
    expect(m.unchanged).toBe(true);
    const ok = m.r.exitCode === 2 && !m.stack && m.unchanged;
    figure({
      group: 'storage',
      fault: 'a store written by a newer kmatrix (schema version 99)',
      expected: 'refused with a clear error, exit 2, the store untouched',
      measured: `exit ${m.r.exitCode}: "${m.first.replace(dir, '…')}"; file ${m.unchanged ? 'untouched' : 'CHANGED'}`,
      ok,
    });
  });

  it('a new store opened by three processes at once: every one opens it', async () => {
    // The built store module, opened by separate node processes at the same instant (two
    // runs on a fresh results dir): SQLite can answer SQLITE_BUSY to the switch to WAL even
    // with a busy timeout. Many rounds, because one round hits the race only sometimes.
    // Each process loads the module first, then waits for the same instant to open.
    const script = `import { ResultStore } from ${JSON.stringify(resolve('dist/store/store.js'))};
const [db, at] = process.argv.slice(-2);
while (Date.now() < Number(at));
try { new ResultStore(db).close(); } catch (e) { console.error(e.message); process.exit(2); }`;
    const rounds = 20;
    const failures: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const db = join(dir, `fresh-${i}`, 'kmatrix.db');
      const at = Date.now() + 800;
      const opens = await Promise.all(
        [0, 1, 2].map(() =>
          execa(process.execPath, ['--input-type=module', '-e', script, db, String(at)], {
            reject: false,
          }),
        ),
      );
      for (const o of opens) if (o.exitCode !== 0) failures.push(String(o.stderr).trim());
    }
    figure({
      group: 'storage',
      fault: 'a new store created by three processes at once (20 rounds)',
      expected: 'every process opens it',
      measured: `${rounds * 3 - failures.length} of ${rounds * 3} opens succeeded${failures[0] ? `; first error: ${failures[0]}` : ''}`,
      ok: failures.length === 0,
    });
    expect(failures).toEqual([]);
  });
});
