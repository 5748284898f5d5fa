// The Kconfig model's data: symbols, properties, menu nodes and expressions, as
// scripts/kconfig/expr.h shapes them, with a source location on everything.

export interface Location {
  /** Path relative to the tree root, as Kconfig names it (e.g. arch/s390/Kconfig). */
  file: string;
  line: number;
}

export interface Diagnostic {
  severity: 'error' | 'warning' | 'info';
  file: string;
  line: number;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.severity === 'error' ? '' : `${d.severity}: `}${d.message}`;
}

export type SymbolType = 'unknown' | 'bool' | 'tristate' | 'int' | 'hex' | 'string';

/** n = 0, m = 1, y = 2 */
export type Tristate = 0 | 1 | 2;

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Expr =
  | { readonly k: 'sym'; readonly sym: KSymbol }
  | { readonly k: 'not'; readonly e: Expr }
  | { readonly k: 'and' | 'or'; readonly l: Expr; readonly r: Expr }
  | { readonly k: 'cmp'; readonly op: CompareOp; readonly l: KSymbol; readonly r: KSymbol };

export type PropKind = 'prompt' | 'default' | 'select' | 'imply' | 'range' | 'menu' | 'comment';

export interface Prop {
  readonly kind: PropKind;
  readonly loc: Location;
  /** The menu node (definition site) the property was written in. */
  readonly node: MenuNode;
  /** prompt/menu/comment text */
  readonly text?: string;
  /** default value expression; select/imply target as a sym expression; range low */
  readonly expr?: Expr;
  /** range high */
  readonly expr2?: Expr;
  /** The `if` written on the property itself (undefined = none). */
  readonly cond: Expr | undefined;
  /** cond && the dependencies of the definition site (and menu `visible if`s for prompts). */
  visible: Expr | undefined;
}

export interface KSymbol {
  readonly name: string;
  type: SymbolType;
  /** y, m, n, quoted strings and opaque macro results; never defined by `config`. */
  readonly isConst: boolean;
  /** A constant whose text comes from a macro we do not run ($(shell,...), missing env). */
  readonly opaque: boolean;
  isChoice: boolean;
  /** The choice this symbol is a member of. */
  choice: KSymbol | undefined;
  /** Members in definition order (choices only). */
  members: KSymbol[];
  /** Choice without the `optional` flag (6.1 semantics). */
  optional: boolean;
  isModules: boolean;
  transitional: boolean;
  props: Prop[];
  /** Definition sites (config/menuconfig/choice nodes). */
  nodes: MenuNode[];
  dirDep: Expr | undefined;
  revDep: Expr | undefined;
  implied: Expr | undefined;
  /** Set when any property or dependency involves an opaque macro value. */
  dependsOnOpaque: boolean;
}

/** One `depends on` line: its expression as parsed and where it is. */
export interface DepSite {
  readonly expr: Expr;
  readonly loc: Location;
}

export type MenuKind = 'root' | 'config' | 'menuconfig' | 'choice' | 'menu' | 'comment' | 'if';

export interface MenuNode {
  readonly kind: MenuKind;
  readonly loc: Location;
  readonly sym: KSymbol | undefined;
  prompt: Prop | undefined;
  /** Own `depends on` / `if` condition before finalize, the full dependency after. */
  dep: Expr | undefined;
  visibility: Expr | undefined;
  /** Each `depends on` line of the entry as written (before propagation), for file:line. */
  readonly depSites: DepSite[];
  readonly parent: MenuNode | undefined;
  readonly children: MenuNode[];
  help?: string;
}

export function newSymbol(name: string, isConst: boolean, opaque = false): KSymbol {
  return {
    name,
    type: 'unknown',
    isConst,
    opaque,
    isChoice: false,
    choice: undefined,
    members: [],
    optional: false,
    isModules: false,
    transitional: false,
    props: [],
    nodes: [],
    dirDep: undefined,
    revDep: undefined,
    implied: undefined,
    dependsOnOpaque: false,
  };
}
