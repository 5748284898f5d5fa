// Input text is data a user or a mail hands kmatrix: before parsing it, check that it is text
// (no NUL bytes, UTF-8) and say where it is not; show values from it on one printable line.

export interface TextProblem {
  /** 1-based line and column (in characters) of the first bad byte. */
  line: number;
  column: number;
  message: string;
}

export type DecodedText = { ok: true; text: string } | { ok: false; problem: TextProblem };

/**
 * Decode bytes as UTF-8 text. `strict` rejects invalid UTF-8 (for files kmatrix parses:
 * matrix files, .config files, fragments); `replace` decodes it with U+FFFD (mail, which
 * may be 8-bit). NUL bytes are rejected either way: no text file kmatrix reads has them.
 */
export function decodeText(buf: Uint8Array, utf8: 'strict' | 'replace' = 'strict'): DecodedText {
  const nul = buf.indexOf(0);
  const bad = utf8 === 'strict' ? firstInvalidUtf8(buf) : -1;
  const at = nul >= 0 && (bad < 0 || nul < bad) ? nul : bad;
  if (at < 0) return { ok: true, text: Buffer.from(buf).toString('utf8') };
  const { line, column } = positionOfByte(buf, at);
  const byte = buf[at] ?? 0;
  const message =
    at === nul
      ? 'NUL byte; expected a text file'
      : `invalid UTF-8 byte 0x${byte.toString(16).padStart(2, '0')}; expected UTF-8 text`;
  return { ok: false, problem: { line, column, message } };
}

/** Byte offset of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [n, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

function positionOfByte(buf: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++)
    if (buf[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  const before = Buffer.from(buf.subarray(start, offset)).toString('utf8');
  return { line, column: before.length + 1 };
}

/**
 * A value as it may appear inside a one-line message: control characters escaped the way
 * JSON writes them (a newline shows as \n), long values cut.
 */
export function printable(s: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return t.length > max ? `${t.slice(0, max)}... (${s.length} characters)` : t;
}

/** Human size for messages: 1.5 MB, 20.0 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}
