// Reading a file a user names (matrix, fragment, .config, report): a regular file, not larger
// than what such a file can sensibly be, and text; every refusal is one line naming the file.
import { open, type FileHandle } from 'node:fs/promises';
import { KmatrixError, type ErrorCode } from '../core/errors.js';
import { decodeText, formatBytes, printable } from '../core/text.js';

/** Size limits by kind of file: far above any real one, far below what hurts. */
export const MAX_BYTES = {
  matrix: 1024 * 1024,
  config: 16 * 1024 * 1024,
  report: 8 * 1024 * 1024,
} as const;

export interface TextFileOptions {
  /** What the file is, for messages: "matrix file", "fragment", "--config". */
  what: string;
  /** The path as the user wrote it (default: the path read). */
  shown?: string;
  maxBytes: number;
  utf8?: 'strict' | 'replace';
  code?: ErrorCode;
}

export async function readTextFile(path: string, o: TextFileOptions): Promise<string> {
  const shown = printable(o.shown ?? path);
  const fail = (msg: string): never => {
    throw new KmatrixError(o.code ?? 'usage', msg);
  };
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    return fail(`cannot read ${o.what} ${shown}: ${describeOpenError(e)}`);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) return fail(`${o.what} ${shown} is a directory; expected a file`);
    if (st.isFile() && st.size > o.maxBytes)
      return fail(
        `${o.what} ${shown} is ${formatBytes(st.size)}; the limit is ${formatBytes(o.maxBytes)}`,
      );
    // A pipe (--config <(zcat config.gz)) has no size: read at most one byte past the limit.
    const buf = st.isFile() ? await fh.readFile() : await readCapped(fh, o.maxBytes + 1);
    return decodeOrFail(buf, shown, o);
  } finally {
    await fh.close();
  }
}

/** The same checks on text that arrived as bytes (stdin). */
export function decodeOrFail(buf: Buffer, shown: string, o: TextFileOptions): string {
  if (buf.length > o.maxBytes)
    throw new KmatrixError(
      o.code ?? 'usage',
      `${o.what} ${shown} is larger than ${formatBytes(o.maxBytes)}, the limit`,
    );
  const d = decodeText(buf, o.utf8 ?? 'strict');
  if (!d.ok) {
    const p = d.problem;
    throw new KmatrixError(
      o.code ?? 'usage',
      `${o.what} ${shown}:${p.line}:${p.column}: ${p.message}`,
    );
  }
  return d.text;
}

async function readCapped(fh: FileHandle, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < max) {
    const { bytesRead, buffer } = await fh.read(Buffer.alloc(Math.min(65536, max - total)), 0);
    if (bytesRead === 0) break;
    chunks.push(buffer.subarray(0, bytesRead));
    total += bytesRead;
  }
  return Buffer.concat(chunks);
}

function describeOpenError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return code ?? String(e);
  }
}
