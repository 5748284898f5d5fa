// A cell's files between worker and coordinator: packed from the files the result names,
// unpacked by rename into the cell directory; a tar that tries to leave that directory, or
// carries anything but plain files, is refused and nothing is written.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Entry = Partial<tar.Header> & Pick<tar.Header, 'name'>;
import { packFiles, safeRelative, unpackFiles } from '../../../src/queue/artifacts.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kmatrix-artifacts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    if (e.type === 'file') pack.entry(e, 'x');
    else pack.entry(e);
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

describe('packFiles and unpackFiles', () => {
  it('carries the named files that exist (modes kept), and replaces the destination', async () => {
    const src = join(dir, 'worker-cell');
    await mkdir(join(src, 'arch/arm/boot'), { recursive: true });
    await writeFile(join(src, '.config'), 'CONFIG_X=y\n');
    await writeFile(join(src, 'reproducer.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await writeFile(join(src, 'arch/arm/boot/zImage'), Buffer.alloc(4096, 7));
    await writeFile(join(src, 'vmlinux.o'), 'not asked for');
    const packed = await packFiles(src, [
      '.config',
      'reproducer.sh',
      'arch/arm/boot/zImage',
      'build.log',
      '../outside',
    ]);
    expect(packed.files).toEqual(['.config', 'reproducer.sh', 'arch/arm/boot/zImage']);

    const dest = join(dir, 'runs/r/cells/c');
    await mkdir(dest, { recursive: true });
    await writeFile(join(dest, 'stale.log'), 'from an earlier attempt');
    expect(await unpackFiles(packed.data, dest)).toEqual(packed.files);
    expect((await readdir(dest)).sort()).toEqual(['.config', 'arch', 'reproducer.sh']);
    expect(await readFile(join(dest, '.config'), 'utf8')).toBe('CONFIG_X=y\n');
    expect((await stat(join(dest, 'reproducer.sh'))).mode & 0o777).toBe(0o755);
    expect((await readFile(join(dest, 'arch/arm/boot/zImage'))).length).toBe(4096);
  });

  it.each<[string, Entry]>([
    ['a path out of the directory', { name: '../../escaped', type: 'file', size: 1 }],
    ['an absolute path', { name: '/etc/cron.d/x', type: 'file', size: 1 }],
    ['a symlink', { name: 'link', type: 'symlink', linkname: '/etc/passwd' }],
    ['a device', { name: 'dev', type: 'character-device' }],
  ])('refuses %s and writes nothing', async (_name, entry) => {
    const dest = join(dir, `refused-${entry.name.replace(/\W/g, '')}`);
    await expect(unpackFiles(await tarOf([entry]), dest)).rejects.toThrow(/refused tar entry/);
    await expect(stat(dest)).rejects.toThrow(/ENOENT/);
    expect((await readdir(dir)).filter((f) => f.includes('incoming'))).toEqual([]);
  });

  it('safeRelative keeps paths inside', () => {
    expect(safeRelative('a/b/../c')).toBe('a/c');
    expect(safeRelative('a/../../b')).toBeUndefined();
    expect(safeRelative('')).toBeUndefined();
    expect(safeRelative('.')).toBeUndefined();
  });
});
