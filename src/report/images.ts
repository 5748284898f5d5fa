// The toolchain images as a user reads them: build progress on stderr, and the list as a table.
import type { ImageEvent } from '../image-build/build.js';
import type { ImageRow } from '../image-build/list.js';
import { unreachable } from '../core/errors.js';

/** A line for an image event (without the kmatrix: prefix, as `images` always printed). */
export function imageEventLine(e: ImageEvent, verbose: boolean): string | undefined {
  switch (e.kind) {
    case 'base-present':
      return `base image ${e.image} present (${e.id.slice(0, 19)})`;
    case 'base-pull-failed':
      return `base image ${e.image} not present and cannot be pulled: ${e.reason}`;
    case 'base-debootstrap':
      return `creating ${e.image} locally: debootstrap --variant=minbase bookworm from ${e.mirror}`;
    case 'base-imported':
      return `imported debootstrapped ${e.image} as ${e.id.slice(0, 19)} (${e.seconds.toFixed(0)}s)`;
    case 'build-start':
      return `building ${e.tag}`;
    case 'build-output':
      return verbose || e.line.startsWith('Step ') ? `  ${e.line}` : undefined;
    case 'build-done':
      return `built ${e.tag} ${e.id} (${e.seconds.toFixed(0)}s)`;
    default:
      return unreachable(e);
  }
}

function humanSize(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(0)} MB`;
}

export function renderImageList(rows: readonly ImageRow[]): string {
  if (rows.length === 0) return 'no kmatrix images; run `kmatrix images build`\n';
  const table = [['TAG', 'ID', 'CREATED', 'SIZE', 'TOOLCHAIN', 'COMPILER']];
  for (const r of rows)
    table.push([
      r.tag,
      r.id.replace('sha256:', '').slice(0, 12),
      r.created,
      humanSize(r.sizeBytes),
      r.toolchain,
      r.compilerVersion,
    ]);
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table
    .map(
      (row) =>
        row
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd() + '\n',
    )
    .join('');
}
