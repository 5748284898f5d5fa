// The results store: one SQLite file (better-sqlite3, WAL) holding runs, their planned cells,
// each finished cell's result and diagnostics. A cell's result is written in one transaction
// as it finishes, so a run killed at any moment keeps everything that finished (--resume).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Cell } from '../matrix/cell.js';
import type { CellResult } from '../results/result.js';

export type RunState = 'running' | 'completed' | 'interrupted';

export interface RunRecord {
  id: string;
  identity: string;
  matrixFile: string;
  matrixHash: string;
  runDir: string;
  state: RunState;
  startedAt: string;
  finishedAt: string | null;
  /** Filters the run was started with (a resumed run keeps them). */
  filters: string[];
  pid: number | null;
}

const SCHEMA_VERSION = 1;

const DDL = `
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

interface RunRow {
  id: string;
  identity: string;
  matrix_file: string;
  matrix_hash: string;
  run_dir: string;
  state: RunState;
  started_at: string;
  finished_at: string | null;
  filters: string;
  pid: number | null;
}

function toRun(r: RunRow): RunRecord {
  return {
    id: r.id,
    identity: r.identity,
    matrixFile: r.matrix_file,
    matrixHash: r.matrix_hash,
    runDir: r.run_dir,
    state: r.state,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    filters: JSON.parse(r.filters) as string[],
    pid: r.pid,
  };
}

export class ResultStore {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(DDL);
    this.db
      .prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)')
      .run('schema_version', String(SCHEMA_VERSION));
  }

  close(): void {
    this.db.close();
  }

  createRun(run: Omit<RunRecord, 'state' | 'finishedAt'>, cells: readonly Cell[]): void {
    const insRun = this.db.prepare(
      `INSERT INTO runs (id, identity, matrix_file, matrix_hash, run_dir, state, started_at, filters, pid)
       VALUES (@id, @identity, @matrixFile, @matrixHash, @runDir, 'running', @startedAt, @filters, @pid)`,
    );
    const insCell = this.db.prepare(
      `INSERT INTO cells (run_id, cell_id, position, source, arch, toolchain, config, variant, build, spec)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      insRun.run({ ...run, filters: JSON.stringify(run.filters) });
      cells.forEach((c, i) =>
        insCell.run(
          run.id,
          c.id,
          i,
          c.source,
          c.arch,
          c.toolchain,
          c.config,
          c.variant,
          c.build ? 1 : 0,
          JSON.stringify(c),
        ),
      );
    })();
  }

  getRun(id: string): RunRecord | undefined {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return r ? toRun(r) : undefined;
  }

  /** Runs of a matrix, newest first. */
  /** Every matrix identity with a run in this store. */
  identities(): string[] {
    return (
      this.db.prepare('SELECT DISTINCT identity FROM runs ORDER BY identity').all() as {
        identity: string;
      }[]
    ).map((r) => r.identity);
  }

  runsOf(identity: string): RunRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM runs WHERE identity = ? ORDER BY started_at DESC, id DESC')
        .all(identity) as RunRow[]
    ).map(toRun);
  }

  /** The newest run of this matrix that did not complete (what --resume continues). */
  latestUnfinished(identity: string): RunRecord | undefined {
    return this.runsOf(identity).find((r) => r.state !== 'completed');
  }

  /** The newest completed run of this matrix started before `run` (the comparison baseline). */
  previousCompleted(
    identity: string,
    run: Pick<RunRecord, 'id' | 'startedAt'>,
  ): RunRecord | undefined {
    return this.runsOf(identity).find(
      (r) => r.state === 'completed' && r.id !== run.id && r.startedAt <= run.startedAt,
    );
  }

  setState(id: string, state: RunState, pid: number | null = null): void {
    this.db
      .prepare('UPDATE runs SET state = ?, finished_at = ?, pid = ? WHERE id = ?')
      .run(state, state === 'running' ? null : new Date().toISOString(), pid, id);
  }

  cellsOf(runId: string): Cell[] {
    return (
      this.db.prepare('SELECT spec FROM cells WHERE run_id = ? ORDER BY position').all(runId) as {
        spec: string;
      }[]
    ).map((r) => JSON.parse(r.spec) as Cell);
  }

  resultsOf(runId: string): Map<string, CellResult> {
    const rows = this.db
      .prepare('SELECT cell_id, body FROM results WHERE run_id = ?')
      .all(runId) as { cell_id: string; body: string }[];
    return new Map(rows.map((r) => [r.cell_id, JSON.parse(r.body) as CellResult]));
  }

  /** One cell's result and diagnostics, replacing an earlier attempt's, atomically. */
  recordResult(runId: string, r: CellResult): void {
    const del = this.db.prepare('DELETE FROM results WHERE run_id = ? AND cell_id = ?');
    const delDiag = this.db.prepare('DELETE FROM diagnostics WHERE run_id = ? AND cell_id = ?');
    const ins = this.db.prepare(
      `INSERT INTO results (run_id, cell_id, status, reason, duration_ms, attempts, config_hash, deduped_from, finished_at, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insDiag = this.db.prepare(
      `INSERT INTO diagnostics (run_id, cell_id, severity, kind, file, line, col, message, fingerprint)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      delDiag.run(runId, r.cellId);
      del.run(runId, r.cellId);
      ins.run(
        runId,
        r.cellId,
        r.status,
        r.reason ?? null,
        Math.round(r.durationMs),
        r.attempts,
        r.configHash,
        r.dedupedFrom,
        r.finishedAt,
        JSON.stringify(r),
      );
      for (const d of r.diagnostics)
        insDiag.run(
          runId,
          r.cellId,
          d.severity,
          d.kind,
          d.file,
          d.line ?? null,
          d.column ?? null,
          d.message,
          d.fingerprint,
        );
    })();
  }

  /** Fingerprints per cell of a run (for comparisons; diagnostics table is the source). */
  fingerprintsOf(runId: string): Map<string, { severity: string; fingerprint: string }[]> {
    const rows = this.db
      .prepare('SELECT cell_id, severity, fingerprint FROM diagnostics WHERE run_id = ?')
      .all(runId) as { cell_id: string; severity: string; fingerprint: string }[];
    const out = new Map<string, { severity: string; fingerprint: string }[]>();
    for (const r of rows) {
      const l = out.get(r.cell_id) ?? [];
      l.push({ severity: r.severity, fingerprint: r.fingerprint });
      out.set(r.cell_id, l);
    }
    return out;
  }
}

export { STORE_FILE } from './file.js';
