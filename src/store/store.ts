// The results store: one SQLite file (better-sqlite3, WAL) holding runs, their planned cells,
// each finished cell's result and diagnostics, and the triage of new failures. A cell's result
// is written in one transaction as it finishes, so a run killed at any moment keeps
// everything that finished (--resume). Older databases are migrated in place (migrate.ts).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Cell } from '../matrix/cell.js';
import type { CellResult } from '../results/result.js';
import type { CellWhy, TriageRecord } from '../results/triage.js';
import { migrate } from './migrate.js';
import { storeFailure } from './failure.js';

export type RunState = 'running' | 'completed' | 'interrupted';

/** The commit a git source (as written in the matrix) was at when the run started. */
export interface SourceCommit {
  repo: string;
  ref: string;
  commit: string;
}

export type TriageState = 'running' | 'done' | 'incomplete';

/** The triage stage of a run: its state, the matrix's triage settings it ran with. */
export interface TriageRunRecord {
  state: TriageState;
  settings: unknown;
  pid: number | null;
  startedAt: string;
  finishedAt: string | null;
}

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
  /** Git sources by their text in the matrix (empty for runs recorded before schema 2). */
  sources: Record<string, SourceCommit>;
}

/**
 * Switch to WAL. Two kmatrix processes creating the same new store at once can get
 * SQLITE_BUSY here at once, without the busy timeout (SQLite does not wait on a lock it could
 * deadlock on), so it is tried again after a short random pause, for up to 3 s; a lock held
 * longer (another program's) fails as before, after the busy timeout.
 */
function walMode(db: Database.Database): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + 3_000;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > until) throw e;
      Atomics.wait(pause, 0, 0, 10 + Math.random() * 20);
    }
  }
}

/** Open (creating or migrating) the store; SQLite failures become a KmatrixError naming it. */
function openStore(path: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('busy_timeout = 10000');
    // The first statement that reads the file: junk, or another program's file, fails here.
    walMode(db);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
    return db;
  } catch (e) {
    db?.close();
    throw storeFailure(e, path);
  }
}

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
  sources: string;
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
    sources: JSON.parse(r.sources) as Record<string, SourceCommit>,
  };
}

export class ResultStore {
  private readonly db: Database.Database;

  /** Throws a KmatrixError naming the store when it cannot be used (see failure.ts). */
  constructor(readonly path: string) {
    this.db = openStore(path);
  }

  close(): void {
    this.db.close();
  }

  createRun(
    run: Omit<RunRecord, 'state' | 'finishedAt' | 'sources'> & Partial<Pick<RunRecord, 'sources'>>,
    cells: readonly Cell[],
  ): void {
    const insRun = this.db.prepare(
      `INSERT INTO runs (id, identity, matrix_file, matrix_hash, run_dir, state, started_at, filters, pid, sources)
       VALUES (@id, @identity, @matrixFile, @matrixHash, @runDir, 'running', @startedAt, @filters, @pid, @sources)`,
    );
    const insCell = this.db.prepare(
      `INSERT INTO cells (run_id, cell_id, position, source, arch, toolchain, config, variant, build, spec)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      insRun.run({
        ...run,
        filters: JSON.stringify(run.filters),
        sources: JSON.stringify(run.sources ?? {}),
      });
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

  /**
   * Take over an unfinished run for process `pid`, atomically (two `--resume` at once: one
   * wins). Refused while the run is `running` under another live process.
   */
  claimRun(
    id: string,
    pid: number,
    alive: (pid: number) => boolean,
  ): { claimed: true; previousPid: number | null } | { claimed: false; holder: number } {
    return this.db
      .transaction(() => {
        const r = this.getRun(id);
        if (!r) throw new Error(`claimRun: no run ${id}`);
        if (r.state === 'running' && r.pid !== null && r.pid !== pid && alive(r.pid))
          return { claimed: false as const, holder: r.pid };
        this.setState(id, 'running', pid);
        return { claimed: true as const, previousPid: r.pid };
      })
      .immediate();
  }

  /** Runs recorded as running (some may belong to processes that were killed). */
  runningRuns(): RunRecord[] {
    return (
      this.db
        .prepare("SELECT * FROM runs WHERE state = 'running' ORDER BY started_at")
        .all() as RunRow[]
    ).map(toRun);
  }

  /** Mark a killed run interrupted, unless someone has claimed it since (its pid changed). */
  markAbandoned(id: string, deadPid: number): boolean {
    return (
      this.db
        .prepare(
          "UPDATE runs SET state = 'interrupted', finished_at = ?, pid = NULL WHERE id = ? AND state = 'running' AND pid = ?",
        )
        .run(new Date().toISOString(), id, deadPid).changes === 1
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

  /** The why of broken cells, replacing what a run had (one transaction). */
  putWhy(runId: string, why: ReadonlyMap<string, CellWhy>): void {
    const del = this.db.prepare('DELETE FROM cell_why WHERE run_id = ?');
    const ins = this.db.prepare('INSERT INTO cell_why (run_id, cell_id, body) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      del.run(runId);
      for (const [cell, w] of why) ins.run(runId, cell, JSON.stringify(w));
    })();
  }

  whyOf(runId: string): Map<string, CellWhy> {
    const rows = this.db
      .prepare('SELECT cell_id, body FROM cell_why WHERE run_id = ?')
      .all(runId) as { cell_id: string; body: string }[];
    return new Map(rows.map((r) => [r.cell_id, JSON.parse(r.body) as CellWhy]));
  }

  /** The run's triage starts (again): state running, with the settings it runs with. */
  startTriage(runId: string, settings: unknown, pid: number): void {
    this.db
      .prepare(
        `INSERT INTO triage_runs (run_id, state, settings, pid, started_at, finished_at)
         VALUES (?, 'running', ?, ?, ?, NULL)
         ON CONFLICT (run_id) DO UPDATE SET state = 'running', settings = excluded.settings,
           pid = excluded.pid, started_at = excluded.started_at, finished_at = NULL`,
      )
      .run(runId, JSON.stringify(settings), pid, new Date().toISOString());
  }

  finishTriage(runId: string, state: Exclude<TriageState, 'running'>): void {
    this.db
      .prepare('UPDATE triage_runs SET state = ?, pid = NULL, finished_at = ? WHERE run_id = ?')
      .run(state, new Date().toISOString(), runId);
  }

  triageRunOf(runId: string): TriageRunRecord | undefined {
    const r = this.db.prepare('SELECT * FROM triage_runs WHERE run_id = ?').get(runId) as
      | {
          state: TriageState;
          settings: string;
          pid: number | null;
          started_at: string;
          finished_at: string | null;
        }
      | undefined;
    return r
      ? {
          state: r.state,
          settings: JSON.parse(r.settings) as unknown,
          pid: r.pid,
          startedAt: r.started_at,
          finishedAt: r.finished_at,
        }
      : undefined;
  }

  /** One failure's triage, for every cell that shares it, atomically. */
  putTriage(runId: string, cellIds: readonly string[], record: TriageRecord): void {
    const up = this.db.prepare(
      `INSERT INTO triage (run_id, cell_id, status, body, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (run_id, cell_id) DO UPDATE SET status = excluded.status,
         body = excluded.body, updated_at = excluded.updated_at`,
    );
    const now = new Date().toISOString();
    this.db.transaction(() => {
      for (const c of cellIds) up.run(runId, c, record.status, JSON.stringify(record), now);
    })();
  }

  triageOf(runId: string): Map<string, TriageRecord> {
    const rows = this.db
      .prepare('SELECT cell_id, body FROM triage WHERE run_id = ?')
      .all(runId) as { cell_id: string; body: string }[];
    return new Map(rows.map((r) => [r.cell_id, JSON.parse(r.body) as TriageRecord]));
  }

  /** The newest completed run in the store (any matrix), for `kmatrix triage` without an id. */
  latestCompleted(): RunRecord | undefined {
    const r = this.db
      .prepare(
        "SELECT * FROM runs WHERE state = 'completed' ORDER BY started_at DESC, id DESC LIMIT 1",
      )
      .get() as RunRow | undefined;
    return r ? toRun(r) : undefined;
  }
}

export { STORE_FILE } from './file.js';
