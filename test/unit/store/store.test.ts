// The SQLite store on its own: runs and cells, results replaced atomically with their
// diagnostics, and which run is the baseline (completed runs only, same identity).
import { describe, expect, it } from 'vitest';
import { ResultStore } from '../../../src/store/store.js';
import type { CellResult } from '../../../src/results/result.js';
import { cell, cellResult, diag } from '../../helpers/results.js';

const result = (id: string, o: Partial<CellResult> = {}): CellResult =>
  cellResult(id, {
    durationMs: 5,
    buildMs: 4,
    workMs: 5,
    configHash: 'h',
    finishedAt: '2026-01-01T00:00:00Z',
    ...o,
  });

const run = (id: string, identity: string, startedAt: string) => ({
  id,
  identity,
  matrixFile: '/m.yaml',
  matrixHash: 'x',
  runDir: `/r/${id}`,
  startedAt,
  filters: [],
  pid: 1,
});

describe('ResultStore', () => {
  it('keeps cells in order and replaces a result with its diagnostics', () => {
    const s = new ResultStore(':memory:');
    s.createRun(run('r1', 'name:a', '2026-01-01T00:00:00Z'), [cell('b1'), cell('a1')]);
    expect(s.cellsOf('r1').map((c) => c.id)).toEqual(['b1', 'a1']);
    s.recordResult(
      'r1',
      result('a1', {
        status: 'fail',
        diagnostics: [diag('error', 'x:error:y'), diag('warning', 'x:warning:z')],
      }),
    );
    expect(s.fingerprintsOf('r1').get('a1')).toHaveLength(2);
    s.recordResult('r1', result('a1', { status: 'pass' }));
    expect(s.fingerprintsOf('r1').get('a1')).toBeUndefined();
    expect(s.resultsOf('r1').get('a1')).toMatchObject({ status: 'pass' });
    s.close();
  });

  it('takes the newest completed run of the same identity as baseline, never an interrupted one', () => {
    const s = new ResultStore(':memory:');
    s.createRun(run('r1', 'name:a', '2026-01-01T00:00:00Z'), [cell('c')]);
    s.setState('r1', 'completed');
    s.createRun(run('r2', 'name:a', '2026-01-02T00:00:00Z'), [cell('c')]);
    s.setState('r2', 'interrupted');
    s.createRun(run('other', 'name:b', '2026-01-02T12:00:00Z'), [cell('c')]);
    s.setState('other', 'completed');
    s.createRun(run('r3', 'name:a', '2026-01-03T00:00:00Z'), [cell('c')]);
    expect(s.previousCompleted('name:a', { id: 'r3', startedAt: '2026-01-03T00:00:00Z' })?.id).toBe(
      'r1',
    );
    expect(s.latestUnfinished('name:a')?.id).toBe('r3');
    s.setState('r3', 'completed');
    expect(s.latestUnfinished('name:a')?.id).toBe('r2');
    s.close();
  });
});
