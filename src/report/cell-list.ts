// `kmatrix run --list`: the cells a run would have, one per line (id, label, config only).
import { cellLabel, type Cell } from '../matrix/cell.js';

export function renderCellList(cells: readonly Cell[]): string {
  return cells.map((c) => `${c.id}  ${cellLabel(c)}${c.build ? '' : '  (config only)'}\n`).join('');
}
