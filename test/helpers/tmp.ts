// Temp dirs for tests that remove themselves: call inside a test and the dir is gone when the
// test finishes, passed or failed (tests must not leave kmatrix-* dirs behind in /tmp).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

export function testDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kmatrix-${name}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
