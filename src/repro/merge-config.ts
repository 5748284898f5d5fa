// A pin that did not hold, as scripts/kconfig/merge_config.sh says it: up to Linux 6.x
// "Value requested for CONFIG_X not in final .config" / "Requested value:  # CONFIG_X is not
// set" / "Actual value:     CONFIG_X=y"; from 7.x "WARNING: CONFIG_X differs:" (or "WARNING:
// Value requested ...") with the same two lines. kmatrix's own reports write the first form.
// Read into a Kconfig complaint that carries the request, so repro can apply it again. Pure.
import { ACCEPTED_VALUES, normalizeValue } from '../config/pin.js';
import { fingerprint, type Diagnostic, type Severity } from '../diagnostics/diagnostic.js';

/** A value merge_config asked for: `requested` as .config writes it; `actual` null: absent. */
export interface PinRequest {
  symbol: string;
  requested: string;
  actual: string | null;
}

const HEAD =
  /^(?:WARNING: )?(?:Value requested for CONFIG_([A-Za-z0-9_]+) not in final \.config|CONFIG_([A-Za-z0-9_]+) differs:)\s*$/;
/** Not a request: a symbol the fragments never named (merge_config's -r / strict output). */
const ADDED =
  /^(?:WARNING: )?CONFIG_[A-Za-z0-9_]+ not in merged config but added in final \.config:/;
const REQUESTED = /^Requested value:(.*)$/;
const ACTUAL = /^Actual value:(.*)$/;

export const isMergeConfigHead = (line: string): boolean =>
  HEAD.test(line.trim()) || ADDED.test(line.trim());

/** "# CONFIG_X is not set" -> n, "CONFIG_X=v" -> v, "" -> null; undefined: not a line for X. */
function valueOf(
  text: string,
  symbol: string,
): { value: string | null } | { problem: string } | undefined {
  const t = text.trim();
  if (t === '') return { value: null };
  if (t === `# CONFIG_${symbol} is not set`) return { value: 'n' };
  const prefix = `CONFIG_${symbol}=`;
  if (!t.startsWith(prefix)) return undefined;
  const raw = t.slice(prefix.length);
  const value = normalizeValue(raw);
  return value === undefined
    ? { problem: `value ${JSON.stringify(raw)} is not ${ACCEPTED_VALUES}` }
    : { value };
}

/** The message a pin complaint carries; the fingerprint leaves the actual value out. */
export function requestDiagnostic(req: PinRequest, severity: Severity): Diagnostic {
  const what = `requested CONFIG_${req.symbol}=${req.requested} not in final .config`;
  const base = { severity, kind: 'kconfig' as const, file: '' };
  const actual = req.actual === null ? 'absent' : `CONFIG_${req.symbol}=${req.actual}`;
  return {
    ...base,
    message: `${what} (actual: ${actual})`,
    fingerprint: fingerprint({ ...base, message: what }),
  };
}

export interface MergeConfigBlock {
  /** Undefined for a block that is no request (ADDED), or one that could not be read. */
  request?: PinRequest;
  /** Why the block could not be used: names the line, the value and what is accepted. */
  problem?: string;
  /** Indexes of the lines the block used. */
  used: number[];
}

/**
 * The block whose head is at `lines[i]`: the head and its "Requested value:" and "Actual
 * value:" lines. `lineNo` turns an index into the report's line number for messages.
 */
export function readMergeConfigBlock(
  lines: readonly string[],
  i: number,
  lineNo: (i: number) => number,
): MergeConfigBlock {
  const head = lines[i]!.trim();
  const used = [i];
  let requestedText: string | undefined;
  let actualText = '';
  for (let j = i + 1; j < lines.length && j <= i + 2; j++) {
    const l = lines[j]!.trim();
    const r = REQUESTED.exec(l);
    const a = ACTUAL.exec(l);
    if (r && requestedText === undefined) requestedText = r[1]!;
    else if (a) actualText = a[1]!;
    else break;
    used.push(j);
  }
  const m = HEAD.exec(head);
  if (!m) return { used };
  const symbol = (m[1] ?? m[2])!;
  const at = `report line ${lineNo(i)}`;
  if (requestedText === undefined)
    return {
      used,
      problem: `${at}: "${head}" is not followed by a "Requested value: CONFIG_${symbol}=..." line (merge_config.sh prints one)`,
    };
  const req = valueOf(requestedText, symbol);
  const act = valueOf(actualText, symbol);
  const line = `report line ${lineNo(used[1]!)}`;
  if (!req)
    return {
      used,
      problem: `${line}: requested value ${JSON.stringify(requestedText.trim())} is not a line for CONFIG_${symbol} (accepted: CONFIG_${symbol}=VALUE or "# CONFIG_${symbol} is not set")`,
    };
  if ('problem' in req)
    return { used, problem: `${line}: requested CONFIG_${symbol}: ${req.problem}` };
  if (req.value === null)
    return { used, problem: `${line}: no requested value for CONFIG_${symbol}` };
  const actual = act && 'value' in act ? act.value : null;
  return { used, request: { symbol, requested: req.value, actual } };
}
