// What ends a whole run: a cell that ran out of disk space, or a store that cannot be
// written. The guard stops the run (its signal), keeps such a cell out of the store, and says
// which place is full.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { testDir } from '../../helpers/tmp.js';
import { isNoSpace, logSaysNoSpace, mentionsNoSpace } from '../../../src/fsutil/space.js';
import { noSpaceError, runGuard } from '../../../src/run/guard.js';
import type { CellResult } from '../../../src/results/result.js';

function result(id: string, o: Partial<CellResult> = {}): CellResult {
  return {
    cellId: id,
    status: 'pass',
    stage: 'config',
    verdict: 'satisfied',
    pins: [],
    diagnostics: [],
    counts: { errors: 0, warnings: 0 },
    durationMs: 1,
    configMs: 1,
    buildMs: 0,
    workMs: 1,
    attempts: 1,
    configHash: null,
    dedupedFrom: null,
    files: {},
    artifacts: [],
    finishedAt: '2026-01-01T00:00:00Z',
    ...o,
  };
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

describe('runGuard', () => {
  it('records cells; a no-space cell stops the run unrecorded', () => {
    const g = runGuard(new AbortController().signal);
    const written: string[] = [];
    const write = (r: { cellId: string }) => written.push(r.cellId);
    g.record(result('a'), write);
    g.record(
      result('b', { status: 'infra-error', reason: 'ENOSPC: no space left on device, write' }),
      write,
    );
    g.record(result('c'), write);
    expect(written).toEqual(['a', 'c']);
    expect(g.signal.aborted).toBe(true);
    expect(g.signal.reason).toBe('no space left on device');
    expect(g.failure()).toEqual({
      kind: 'no-space',
      cause: 'ENOSPC: no space left on device, write',
    });
  });

  it('a store write that fails stops the run, and nothing more is written', () => {
    const g = runGuard(new AbortController().signal);
    const locked = new Database.SqliteError('database is locked', 'SQLITE_BUSY');
    let calls = 0;
    g.record(result('a'), () => {
      calls++;
      throw locked;
    });
    g.record(result('b'), () => calls++);
    expect(calls).toBe(1);
    expect(g.failure()).toEqual({ kind: 'store', error: locked });
    expect(g.signal.reason).toBe('the results store failed');
  });

  it("follows the user's signal", () => {
    const user = new AbortController();
    const g = runGuard(user.signal);
    user.abort('SIGINT');
    expect(g.signal.aborted).toBe(true);
    expect(g.failure()).toBeUndefined();
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
