// What a bisect's answer means to a script: its exit code (2, usage or infrastructure, is thrown).
import { unreachable } from '../core/errors.js';
import type { ConfigBisectResult } from './config-bisect.js';
import type { BisectResult } from './run.js';

/** 0 found, 1 inconclusive, 3 endpoints do not bracket a regression. */
export function bisectExitCode(r: BisectResult): 0 | 1 | 3 {
  switch (r.kind) {
    case 'found':
      return 0;
    case 'inconclusive':
      return 1;
    case 'endpoints':
      return 3;
    default:
      return unreachable(r);
  }
}

/** 0 minimal change found, 1 not reproducible from the differing values, 3 endpoints wrong. */
export function configBisectExitCode(r: ConfigBisectResult): 0 | 1 | 3 {
  switch (r.kind) {
    case 'found':
      return 0;
    case 'not-reproduced':
      return 1;
    case 'endpoints':
      return 3;
    default:
      return unreachable(r);
  }
}
