// Where results live: the results dir and the store's file name inside it (kept apart from
// store.ts, which loads better-sqlite3, so the CLI can name them in --help without the driver).
import { resolve } from 'node:path';

export const STORE_FILE = 'kmatrix.db';

/** $KMATRIX_RESULTS, else ./kmatrix-results. */
export function defaultResultsDir(env: NodeJS.ProcessEnv, cwd: string): string {
  return resolve(cwd, env['KMATRIX_RESULTS'] ?? 'kmatrix-results');
}
