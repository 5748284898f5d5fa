// What a user is told when the results store cannot be used: SQLite's failure (a damaged
// file, a lock held by another program, a full disk) as one line naming the store, and the
// recovery. Any other error passes through unchanged.
import { dirname } from 'node:path';
import { errorMessage, KmatrixError } from '../core/errors.js';

/** SQLite's primary result code (SQLITE_BUSY for SQLITE_BUSY_SNAPSHOT, ...). */
function sqliteCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  return code.replace(/^(SQLITE_[A-Z]+?)(_[A-Z_]+)?$/, '$1');
}

export function storeFailure(e: unknown, path: string): unknown {
  if (e instanceof KmatrixError) return e;
  const code = sqliteCode(e);
  if (!code) return e;
  const why = `${errorMessage(e)} (${code})`;
  switch (code) {
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return new KmatrixError(
        'io',
        `results store ${path} is damaged: ${why}`,
        [
          'accepted: the SQLite file kmatrix run writes (<results>/kmatrix.db, or its --store FILE)',
          `move it aside and run again with a new store: mv ${path} ${path}.broken`,
          'the run directories (runs/<run-id>/) are kept; the comparison history starts again',
          `what is readable may be saved with (Debian package sqlite3): sqlite3 ${path}.broken .recover | sqlite3 ${path}`,
        ].join('\n'),
      );
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new KmatrixError(
        'io',
        `results store ${path} is locked by another program: ${why}`,
        `kmatrix waited 10 s for it; a kmatrix run holds it only for moments. Find the holder with: fuser -v ${path}`,
      );
    case 'SQLITE_FULL':
      return new KmatrixError(
        'io',
        `no space left on the device of results store ${path}: ${why}`,
        `free space in ${dirname(path)} and continue with kmatrix run --resume: the store keeps every cell recorded before`,
      );
    case 'SQLITE_READONLY':
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PERM':
    case 'SQLITE_IOERR':
      return new KmatrixError(
        'io',
        `cannot use results store ${path}: ${why}`,
        'check that the file and its directory exist and are writable (give another with --results or --store)',
      );
    default:
      return new KmatrixError('io', `results store ${path}: ${why}`);
  }
}

/** Refuse a store written by a newer kmatrix (its tables may mean something else). */
export function refuseNewerSchema(found: number, supported: number, path: string): void {
  if (!Number.isInteger(found) || found > supported)
    throw new KmatrixError(
      'usage',
      `results store ${path} has schema version ${String(found)}; this kmatrix reads versions up to ${supported} (a newer kmatrix wrote it)`,
      'use the newer kmatrix, or another store (--results DIR or --store FILE)',
    );
}
