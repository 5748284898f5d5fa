// reproducer.sh: a standalone bash script that rebuilds a cell by hand with the same
// image, mounts and make lines (or the same local make lines). Everything is quoted;
// the .config travels inside the script so it needs nothing from kmatrix.
import { shellComment, shellQuote } from '../process/shell-quote.js';

/** Stands in for the output dir in runtime.reproduce(); replaced by "$OUT". */
export const OUT_PLACEHOLDER = '@@KMATRIX_OUT@@';

export interface ReproducerInput {
  title: string;
  status: string;
  runtimeLine: string;
  /** Suggested output dir when none is given as $1. */
  defaultOut: string;
  configText: string;
  /** How kmatrix generated the config (comments only: the final .config is embedded). */
  configCommands: readonly string[];
  /** Shell lines run before everything (e.g. which Docker daemon to talk to). */
  preamble?: readonly string[];
  /** Shell lines run after $OUT/.config is written, before the steps. */
  beforeSteps?: readonly string[];
  /** Command lines from runtime.reproduce() with OUT_PLACEHOLDER for the output dir. */
  steps: readonly string[];
}

export function renderReproducer(r: ReproducerInput): string {
  let delim = 'KMATRIX_CONFIG_EOF';
  while (r.configText.split('\n').includes(delim)) delim += '_';
  const text = r.configText.endsWith('\n') ? r.configText : r.configText + '\n';
  const comment = (s: string) =>
    s
      .split('\n')
      .map((l) => `#   ${l}`)
      .join('\n');
  const lines = [
    '#!/usr/bin/env bash',
    `# kmatrix build reproducer: ${shellComment(r.title)}`,
    `# kmatrix result: ${shellComment(`${r.status}; ${r.runtimeLine}`)}`,
    '# Usage: reproducer.sh [OUTPUT_DIR]   (a new or empty directory; default below)',
    'set -euo pipefail',
    ...(r.preamble ?? []),
    '',
    `OUT=\${1:-${shellQuote(r.defaultOut)}}`,
    'mkdir -p -- "$OUT"',
    'OUT=$(cd -- "$OUT" && pwd)',
    '',
    '# The exact .config kmatrix built with. kmatrix generated it with:',
    ...(r.configCommands.length
      ? r.configCommands.map(comment)
      : ['#   (no config commands recorded)']),
    `cat > "$OUT/.config" <<'${delim}'`,
    text + delim,
    '',
    ...(r.beforeSteps ?? []),
    ...r.steps.map((s) => s.split(OUT_PLACEHOLDER).join('"$OUT"')),
    '',
  ];
  return lines.join('\n');
}
