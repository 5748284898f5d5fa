// The Kconfig facts a solver answer rests on: each one a statement with its file:line that
// the encoding can switch off (relax) to find which of them make a set of pins impossible.
import type { Location } from '../kconfig/index.js';

export type Fact =
  /** A pin the user asked for. */
  | { kind: 'pin'; symbol: string; value: string }
  /** --forbid SYM=VAL */
  | { kind: 'forbid'; symbol: string; value: string }
  /** --keep-base: a symbol on in base + pins stays at least as on. */
  | { kind: 'keep'; symbol: string; value: string }
  /** One `&&` term of an entry's own `depends on` (via 'depends'), of an enclosing
   *  `if` block (via 'if'), menu (via 'menu') or choice (via 'choice'). */
  | {
      kind: 'depends';
      /** The entry (for 'if' and 'menu': the block, named by its expression or title). */
      symbol: string;
      expr: string;
      /** Symbols the expression mentions. */
      refs: string[];
      via: 'depends' | 'if' | 'menu' | 'choice';
      loc: Location;
    }
  /** The condition on a prompt (its `if` and enclosing menus' `visible if`). */
  | { kind: 'prompt-if'; symbol: string; expr: string; loc: Location }
  /** The symbol has no prompt: only defaults and selects set it. */
  | { kind: 'no-prompt'; symbol: string; loc: Location | undefined }
  | { kind: 'select'; from: string; symbol: string; cond: string | undefined; loc: Location }
  | { kind: 'imply'; from: string; symbol: string; cond: string | undefined; loc: Location }
  | {
      kind: 'default';
      symbol: string;
      expr: string;
      cond: string | undefined;
      loc: Location;
    }
  /** Referenced but defined by no Kconfig file this arch reads: always n. */
  | { kind: 'undefined'; symbol: string; arch: string }
  /** A choice: one member is y when the choice is visible (y). */
  | { kind: 'choice'; symbol: string; members: string[]; loc: Location | undefined }
  /** A promptless symbol whose value only the toolchain decides (read from the base). */
  | { kind: 'probe'; symbol: string; value: string; loc: Location | undefined };

export type FactKind = Fact['kind'];

/** Every symbol a fact talks about, for ordering a core into a chain. */
export function factSymbols(f: Fact): string[] {
  switch (f.kind) {
    case 'select':
    case 'imply':
      return [f.symbol, f.from];
    case 'choice':
      return [f.symbol, ...f.members];
    case 'depends':
      return [f.symbol, ...f.refs];
    default:
      return [f.symbol];
  }
}

/** The fact's location, when it has one. */
export function factLocation(f: Fact): Location | undefined {
  switch (f.kind) {
    case 'pin':
    case 'forbid':
    case 'keep':
    case 'undefined':
      return undefined;
    default:
      return f.loc;
  }
}

/** One line of human text for a fact (without the location). */
export function factText(f: Fact): string {
  switch (f.kind) {
    case 'pin':
      return `pinned ${f.symbol}=${f.value}`;
    case 'forbid':
      return `forbidden ${f.symbol}=${f.value}`;
    case 'keep':
      return `--keep-base: ${f.symbol} stays ${f.value === 'm' ? 'at least m' : f.value}`;
    case 'depends':
      switch (f.via) {
        case 'depends':
          return `${f.symbol} depends on ${f.expr}`;
        case 'if':
          return `everything inside "if ${f.expr}" depends on ${f.expr}`;
        case 'menu':
          return `everything in menu "${f.symbol}" depends on ${f.expr}`;
        case 'choice':
          return `every member of choice ${f.symbol} depends on ${f.expr}`;
      }
      break;
    case 'prompt-if':
      return `${f.symbol} can only be set when ${f.expr}`;
    case 'no-prompt':
      return `${f.symbol} has no prompt: only defaults and selects set it`;
    case 'select':
      return `${f.from} selects ${f.symbol}${f.cond ? ` if ${f.cond}` : ''}`;
    case 'imply':
      return `${f.from} implies ${f.symbol}${f.cond ? ` if ${f.cond}` : ''}`;
    case 'default':
      return `${f.symbol} defaults to ${f.expr}${f.cond ? ` if ${f.cond}` : ''}`;
    case 'undefined':
      return `${f.symbol} is not defined for ${f.arch} (always n)`;
    case 'choice':
      return `${f.symbol.startsWith('choice at ') ? f.symbol : `choice ${f.symbol}`}: exactly one of ${f.members.join(', ')} is y when it is visible`;
    case 'probe':
      return `${f.symbol}=${f.value} is decided by a toolchain probe (this toolchain only)`;
  }
}
