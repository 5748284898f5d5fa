// The store's schema migration: a database written by the schema-1 store (a text SQL dump in
// test/fixtures/store) opens in place as the current schema with everything it held, gains the
// triage tables, and can be compared and triaged like a new one.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareRun } from '../../../src/results/compare.js';
import { placeholderRecord } from '../../../src/results/triage.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion } from '../../../src/store/migrate.js';
import { ResultStore } from '../../../src/store/store.js';

const DUMP = new URL('../../fixtures/store/v1-store.sql', import.meta.url);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kmatrix-migrate-'));
});

afterEach(() => rm(dir, { recursive: true, force: true }));

async function v1Database(): Promise<string> {
  const path = join(dir, 'kmatrix.db');
  const db = new Database(path);
  db.exec(await readFile(DUMP, 'utf8'));
  db.close();
  return path;
}

describe('store migration', () => {
  it('the steps run in order up to the current version', () => {
    expect(MIGRATIONS.map((m) => m.to)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(2);
  });

  it('migrates a schema-1 database in place, keeping its runs, cells, results and diagnostics', async () => {
    const path = await v1Database();
    const raw = new Database(path);
    expect(schemaVersion(raw)).toBe(1);
    raw.close();

    const store = new ResultStore(path);
    const runs = store.runsOf('name:nightly');
    expect(runs.map((r) => [r.id, r.state, r.sources])).toEqual([
      ['20240102-010000-bbbb', 'completed', {}],
      ['20240101-010000-aaaa', 'completed', {}],
    ]);
    const cells = store.cellsOf('20240102-010000-bbbb');
    expect(cells.map((c) => c.id)).toEqual(['a1b2c3d4e5f6', '0f1e2d3c4b5a', '99aa88bb77cc']);
    const now = store.resultsOf('20240102-010000-bbbb');
    expect(now.get('a1b2c3d4e5f6')).toMatchObject({ status: 'fail', counts: { errors: 2 } });
    expect(store.fingerprintsOf('20240102-010000-bbbb').get('a1b2c3d4e5f6')).toHaveLength(2);

    // Compared with its baseline as before the migration.
    const before = store.previousCompleted('name:nightly', runs[0]!)!;
    const cmp = compareRun(
      cells.map((c) => c.id),
      now,
      { runId: before.id, results: store.resultsOf(before.id) },
    );
    expect(cmp.cells.get('a1b2c3d4e5f6')?.change).toBe('new-failure');
    expect(cmp.cells.get('0f1e2d3c4b5a')).toMatchObject({
      change: 'new-failure',
      newProblems: ['pin:KEXEC:overridden'],
    });

    // The new tables work on the old runs: a triage record and its state.
    const rec = placeholderRecord({
      status: 'skipped',
      reason: 'test',
      cell: 'a1b2c3d4e5f6',
      sharedWith: [],
      fingerprints: ['x'],
    });
    store.putTriage('20240102-010000-bbbb', ['a1b2c3d4e5f6'], rec);
    store.startTriage('20240102-010000-bbbb', { settings: 1 }, 4242);
    store.finishTriage('20240102-010000-bbbb', 'incomplete');
    expect(store.triageOf('20240102-010000-bbbb').get('a1b2c3d4e5f6')?.status).toBe('skipped');
    expect(store.triageRunOf('20240102-010000-bbbb')).toMatchObject({
      state: 'incomplete',
      settings: { settings: 1 },
      pid: null,
    });
    store.close();

    const again = new Database(path);
    expect(schemaVersion(again)).toBe(2);
    again.close();
  });

  it('opens a migrated database again without running a step twice', async () => {
    const path = await v1Database();
    new ResultStore(path).close();
    const db = new Database(path);
    expect(migrate(db, path)).toEqual({ from: 2, to: 2 });
    db.close();
  });

  it('creates a new store through the same steps', () => {
    const db = new Database(':memory:');
    expect(migrate(db, ':memory:')).toEqual({ from: 0, to: SCHEMA_VERSION });
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    expect(tables).toEqual([
      'cell_why',
      'cells',
      'diagnostics',
      'meta',
      'results',
      'runs',
      'triage',
      'triage_runs',
    ]);
    db.close();
  });

  it('refuses a database written by a newer schema, naming both versions', async () => {
    const path = await v1Database();
    const db = new Database(path);
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    expect(() => new ResultStore(path)).toThrow(
      `results store ${path} has schema version 99; this kmatrix reads versions up to ${SCHEMA_VERSION}`,
    );
  });

  it('refuses a file that is not a SQLite database, naming it, and leaves it as it was', async () => {
    const path = join(dir, 'matrix.yaml');
    await writeFile(path, 'name: not a store\n');
    expect(() => new ResultStore(path)).toThrow(
      `results store ${path} is damaged: file is not a database (SQLITE_NOTADB)`,
    );
    expect(await readFile(path, 'utf8')).toBe('name: not a store\n');
    expect(await readdir(dir)).toEqual(['matrix.yaml']);
  });
});
