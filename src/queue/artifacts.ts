// A cell's files on their way from a worker to the coordinator: a gzipped tar of the files
// the cell's result names (logs, .config, result.json, reproducer; kernel images when asked),
// and its safe extraction: plain files only, every path inside the cell directory, bounded in
// size, published by rename so a half-written directory is never seen.
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import tar from 'tar-stream';

/** What a worker may return for one cell, unpacked. */
export const MAX_ARTIFACT_BYTES = 512 * 2 ** 20;
const MAX_ENTRIES = 10_000;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** A relative path that stays inside its directory, or undefined. */
export function safeRelative(p: string): string | undefined {
  if (p === '' || p.startsWith('/') || p.includes('\0')) return undefined;
  const n = normalize(p);
  if (n === '.' || n.startsWith('..') || n.split(sep).includes('..')) return undefined;
  return n;
}

/** Pack the files (relative to dir) that exist; returns the gzipped tar and what is in it. */
export async function packFiles(
  dir: string,
  files: readonly string[],
): Promise<{ data: Buffer; files: string[] }> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const packed: string[] = [];
  for (const f of [...new Set(files)]) {
    const rel = safeRelative(f);
    if (!rel) continue;
    const st = await stat(join(dir, rel)).catch(() => undefined);
    if (!st?.isFile()) continue;
    const body = await readFile(join(dir, rel));
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: rel, size: body.length, mode: st.mode & 0o777 }, body, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    packed.push(rel);
  }
  pack.finalize();
  await ended;
  return { data: await gzipAsync(Buffer.concat(chunks)), files: packed };
}

/**
 * Unpack into dest (replacing it): staged beside it, then renamed. Refuses links, devices,
 * absolute or escaping paths, and more than MAX_ARTIFACT_BYTES.
 */
export async function unpackFiles(data: Buffer, dest: string): Promise<string[]> {
  const raw = await gunzipAsync(data, { maxOutputLength: MAX_ARTIFACT_BYTES + 2 ** 20 });
  const entries: { name: string; body: Buffer; mode: number }[] = [];
  const extract = tar.extract();
  await new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const name = safeRelative(header.name);
      if (header.type !== 'file' || !name) {
        reject(new Error(`refused tar entry ${JSON.stringify(header.name)} (${header.type})`));
        stream.resume();
        return;
      }
      if (entries.length >= MAX_ENTRIES) {
        reject(new Error(`more than ${MAX_ENTRIES} files`));
        stream.resume();
        return;
      }
      const parts: Buffer[] = [];
      stream.on('data', (c: unknown) => parts.push(c as Buffer));
      stream.on('end', () => {
        entries.push({ name, body: Buffer.concat(parts), mode: (header.mode ?? 0o644) & 0o755 });
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
    extract.end(raw);
  });
  const staging = `${dest}.incoming-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    for (const e of entries) {
      const path = join(staging, e.name);
      if (relative(staging, path).startsWith('..')) throw new Error(`refused path ${e.name}`);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, e.body, { mode: e.mode });
    }
    await mkdir(staging, { recursive: true });
    await rm(dest, { recursive: true, force: true });
    await mkdir(dirname(dest), { recursive: true });
    await rename(staging, dest);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return entries.map((e) => e.name);
}
