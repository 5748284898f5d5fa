// A full disk ends a whole run: a cell that ran out of space, or a store write that did, is
// not recorded and stops the run (recordCell throws NoSpace); the error names the full place.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { testDir } from '../../helpers/tmp.js';
import { isNoSpace, logSaysNoSpace, mentionsNoSpace } from '../../../src/fsutil/space.js';
import { noSpaceError, NoSpace, recordCell } from '../../../src/run/guard.js';
import type { CellResult } from '../../../src/results/result.js';
import { cellResult } from '../../helpers/results.js';

function result(id: string, o: Partial<CellResult> = {}): CellResult {
  return cellResult(id, {
    stage: 'config',
    buildMs: 0,
    finishedAt: '2026-01-01T00:00:00Z',
    ...o,
  });
}

describe('telling a full disk', () => {
  it('by code, message, a tool stderr in a KmatrixError detail, or a build log', () => {
    expect(isNoSpace(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe(true);
    expect(isNoSpace(new Database.SqliteError('database or disk is full', 'SQLITE_FULL'))).toBe(
      true,
    );
    expect(isNoSpace({ message: 'make failed', detail: 'cc1: No space left on device' })).toBe(
      true,
    );
    expect(isNoSpace(new Error('ENOENT: no such file'))).toBe(false);
    expect(mentionsNoSpace('ENOSPC: no space left on device, write')).toBe(true);
    expect(mentionsNoSpace(undefined)).toBe(false);
    expect(
      logSaysNoSpace('  CC init/main.o\nfoo.o: No space left on device\nmake: *** Error 1\n'),
    ).toBe(true);
    // A source line quoting the text is not a write failing.
    expect(logSaysNoSpace('   12 |   [ENOSPC] = "No space left on device",\n')).toBe(false);
  });
});

describe('recordCell', () => {
  const notCalled = (e: unknown) => {
    throw new Error(`writeFailed called with ${String(e)}`);
  };

  it('writes cells; a cell that ran out of space is not written and stops the run', () => {
    const written: string[] = [];
    const write = (r: { cellId: string }) => written.push(r.cellId);
    recordCell(result('a'), write, notCalled);
    const full = result('b', {
      status: 'infra-error',
      reason: 'ENOSPC: no space left on device, write',
    });
    expect(() => recordCell(full, write, notCalled)).toThrow(NoSpace);
    expect(written).toEqual(['a']);
    // An infra-error for another reason is a cell's result like any other.
    recordCell(
      result('c', { status: 'infra-error', reason: 'docker: connect ECONNREFUSED' }),
      write,
      notCalled,
    );
    expect(written).toEqual(['a', 'c']);
  });

  it('a store write that hits a full disk stops the run with NoSpace', () => {
    const e = new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
    let thrown: unknown;
    try {
      recordCell(
        result('a'),
        () => {
          throw e;
        },
        notCalled,
      );
    } catch (x) {
      thrown = x;
    }
    expect(thrown).toBeInstanceOf(NoSpace);
    expect((thrown as NoSpace).what).toBe('database or disk is full');
  });

  it('any other failed write throws what writeFailed makes of it', () => {
    const locked = new Database.SqliteError('database is locked', 'SQLITE_BUSY');
    expect(() =>
      recordCell(
        result('a'),
        () => {
          throw locked;
        },
        (e) => new Error(`could not record: ${(e as Error).message}`),
      ),
    ).toThrow('could not record: database is locked');
  });
});

describe('noSpaceError', () => {
  it('names the place the failed write names, with its size, and how to continue', async () => {
    const a = testDir('guard');
    const e = await noSpaceError(
      [
        { what: 'the results dir', path: join(a, 'res') },
        { what: 'the cache', path: '/proc' },
      ],
      `make: writing ${join(a, 'res')}/x: No space left on device\nmore`,
      'r1',
    );
    expect(e.message).toMatch(
      new RegExp(
        `^no space left on device: the results dir ${join(a, 'res')} \\(.* in all, .* free now\\)$`,
      ),
    );
    expect(e.detail).toBe(
      `make: writing ${join(a, 'res')}/x: No space left on device\nevery cell recorded before is kept: free space and continue with kmatrix run --resume r1`,
    );
  });
});
