// The results store's schema versions and the step from each to the next. A database is
// brought from the version it was written with (meta.schema_version; 0 for a new file) to
// SCHEMA_VERSION in one immediate transaction, one step per version, so a fresh store and an
// old one end in the same shape by the same code. A new shape is one more entry here.
import type Database from 'better-sqlite3';
import { refuseNewerSchema } from './failure.js';

export interface Migration {
  /** The version this step produces (steps run in order from the database's version + 1). */
  to: number;
  /** What the step adds, for people reading the table. */
  what: string;
  up: (db: Database.Database) => void;
}

const V1 = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  identity TEXT NOT NULL,
  matrix_file TEXT NOT NULL,
  matrix_hash TEXT NOT NULL,
  run_dir TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running','completed','interrupted')),
  started_at TEXT NOT NULL,
  finished_at TEXT,
  filters TEXT NOT NULL DEFAULT '[]',
  pid INTEGER
);
CREATE INDEX IF NOT EXISTS runs_identity ON runs (identity, started_at);
CREATE TABLE IF NOT EXISTS cells (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  cell_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  source TEXT NOT NULL,
  arch TEXT NOT NULL,
  toolchain TEXT NOT NULL,
  config TEXT NOT NULL,
  variant TEXT NOT NULL,
  build INTEGER NOT NULL,
  spec TEXT NOT NULL,
  PRIMARY KEY (run_id, cell_id)
);
CREATE TABLE IF NOT EXISTS results (
  run_id TEXT NOT NULL,
  cell_id TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  duration_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  config_hash TEXT,
  deduped_from TEXT,
  finished_at TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (run_id, cell_id),
  FOREIGN KEY (run_id, cell_id) REFERENCES cells(run_id, cell_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS diagnostics (
  run_id TEXT NOT NULL,
  cell_id TEXT NOT NULL,
  severity TEXT NOT NULL,
  kind TEXT NOT NULL,
  file TEXT NOT NULL,
  line INTEGER,
  col INTEGER,
  message TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  FOREIGN KEY (run_id, cell_id) REFERENCES results(run_id, cell_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS diagnostics_cell ON diagnostics (run_id, cell_id);
CREATE INDEX IF NOT EXISTS diagnostics_fp ON diagnostics (fingerprint);
`;

const V2 = `
ALTER TABLE runs ADD COLUMN sources TEXT NOT NULL DEFAULT '{}';
CREATE TABLE triage_runs (
  run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('running','done','incomplete')),
  settings TEXT NOT NULL,
  pid INTEGER,
  started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE TABLE cell_why (
  run_id TEXT NOT NULL,
  cell_id TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (run_id, cell_id),
  FOREIGN KEY (run_id, cell_id) REFERENCES results(run_id, cell_id) ON DELETE CASCADE
);
CREATE TABLE triage (
  run_id TEXT NOT NULL,
  cell_id TEXT NOT NULL,
  status TEXT NOT NULL,
  body TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, cell_id),
  FOREIGN KEY (run_id, cell_id) REFERENCES results(run_id, cell_id) ON DELETE CASCADE
);
`;

export const MIGRATIONS: readonly Migration[] = [
  { to: 1, what: 'runs, their planned cells, results and diagnostics', up: (db) => db.exec(V1) },
  {
    to: 2,
    what: 'triage: the commit each git source was at, the why of broken cells, triage records and the triage state of runs',
    up: (db) => db.exec(V2),
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.to;

/** The version a database was written with: 0 when it has no meta table yet. */
export function schemaVersion(db: Database.Database): number {
  const meta = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    .get();
  if (!meta) return 0;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
    { value: string } | undefined;
  return row ? Number(row.value) : 0;
}

/** Bring `db` to SCHEMA_VERSION; returns the versions before and after. */
export function migrate(
  db: Database.Database,
  path: string,
  steps: readonly Migration[] = MIGRATIONS,
): { from: number; to: number } {
  const latest = steps[steps.length - 1]!.to;
  // Immediate: two processes opening a new store at once migrate it once.
  return db
    .transaction(() => {
      const from = schemaVersion(db);
      refuseNewerSchema(from, latest, path);
      for (const m of steps) {
        if (m.to <= from) continue;
        m.up(db);
        db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(
          'schema_version',
          String(m.to),
        );
      }
      return { from, to: latest };
    })
    .immediate();
}
