// SQLite's failures as the user reads them: one line naming the store, its code, and the
// recovery; anything that is not SQLite's passes through untouched.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { KmatrixError } from '../../../src/core/errors.js';
import { refuseNewerSchema, storeFailure } from '../../../src/store/failure.js';

const sqliteError = (code: string, message: string) => new Database.SqliteError(message, code);

describe('storeFailure', () => {
  it.each([
    [
      'SQLITE_NOTADB',
      'file is not a database',
      /is damaged: file is not a database \(SQLITE_NOTADB\)/,
      /mv \/r\/kmatrix.db \/r\/kmatrix.db.broken/,
    ],
    [
      'SQLITE_CORRUPT_INDEX',
      'database disk image is malformed',
      /is damaged: .* \(SQLITE_CORRUPT\)/,
      /\.recover/,
    ],
    [
      'SQLITE_BUSY',
      'database is locked',
      /is locked by another program: database is locked \(SQLITE_BUSY\)/,
      /fuser -v \/r\/kmatrix.db/,
    ],
    [
      'SQLITE_FULL',
      'database or disk is full',
      /no space left on the device of results store/,
      /free space in \/r/,
    ],
    [
      'SQLITE_READONLY',
      'attempt to write a readonly database',
      /cannot use results store/,
      /writable/,
    ],
  ])('%s', (code, message, line, hint) => {
    const e = storeFailure(sqliteError(code, message), '/r/kmatrix.db');
    expect(e).toBeInstanceOf(KmatrixError);
    const k = e as KmatrixError;
    expect(k.code).toBe('io');
    expect(k.message).toMatch(
      /results store \/r\/kmatrix.db|device of results store \/r\/kmatrix.db/,
    );
    expect(k.message).toMatch(line);
    expect(k.detail).toMatch(hint);
  });

  it('passes other errors through', () => {
    const e = new Error('ENOENT');
    expect(storeFailure(e, '/r/kmatrix.db')).toBe(e);
    const k = new KmatrixError('usage', 'x');
    expect(storeFailure(k, '/r/kmatrix.db')).toBe(k);
  });

  it('refuses a newer schema, and nothing else', () => {
    expect(() => refuseNewerSchema(1, 1, '/r/kmatrix.db')).not.toThrow();
    expect(() => refuseNewerSchema(0, 1, '/r/kmatrix.db')).not.toThrow();
    expect(() => refuseNewerSchema(3, 1, '/r/kmatrix.db')).toThrow(
      'results store /r/kmatrix.db has schema version 3; this kmatrix reads versions up to 1 (a newer kmatrix wrote it)',
    );
    expect(() => refuseNewerSchema(NaN, 1, '/r/kmatrix.db')).toThrow(/schema version NaN/);
  });
});
