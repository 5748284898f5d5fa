// kmatrix's version: package.json's (read, not imported: a JSON import warns on Node 20).
import { readFileSync } from 'node:fs';

export function kmatrixVersion(): string {
  const pkg: unknown = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  );
  const version = (pkg as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}
