// Where kmatrix keeps what it can reuse: extracted trees, apt lists, built Kconfig tools.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** $KMATRIX_CACHE, else $XDG_CACHE_HOME/kmatrix, else ~/.cache/kmatrix. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (env['KMATRIX_CACHE']) return resolve(env['KMATRIX_CACHE']);
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg ? resolve(xdg) : join(env['HOME'] ?? homedir(), '.cache'), 'kmatrix');
}
