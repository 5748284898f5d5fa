// Symbol values over a .config, computed the way scripts/kconfig/symbol.c's
// sym_calc_value does: visibility, direct/reverse/weak-reverse dependencies, defaults,
// choices and MODULES. The .config's values play the part of conf's user values.
import type { Expr, KSymbol, Prop, Tristate } from './ast.js';
import type { KconfigModel } from './model.js';

export type ConfigValues = ReadonlyMap<string, string>;

/** How a symbol got its value, for explanations. */
export type ValueSource =
  'const' | 'undefined' | 'user' | 'default' | 'select' | 'imply' | 'choice' | 'opaque' | 'none';

export interface SymbolState {
  tri: Tristate;
  str: string;
  visible: Tristate;
  dirDep: Tristate;
  revDep: Tristate;
  implied: Tristate;
  /** conf would write it to .config */
  write: boolean;
  source: ValueSource;
  /** The default that gave the value (source 'default'). */
  defaultProp: Prop | undefined;
  valid: boolean;
}

const TRI_TEXT = ['n', 'm', 'y'] as const;

export function triText(t: Tristate): 'n' | 'm' | 'y' {
  return TRI_TEXT[t];
}

export function parseTri(v: string | undefined): Tristate | undefined {
  return v === 'y' ? 2 : v === 'm' ? 1 : v === 'n' ? 0 : undefined;
}

const min = (a: Tristate, b: Tristate): Tristate => (a < b ? a : b);
const max = (a: Tristate, b: Tristate): Tristate => (a > b ? a : b);

interface ChoiceState {
  done: boolean;
  selected: KSymbol | undefined;
}

export class Evaluator {
  private readonly states = new Map<KSymbol, SymbolState>();
  private readonly choiceStates = new Map<KSymbol, ChoiceState>();
  private modulesVal: Tristate = 0;
  private readonly legacy: boolean;
  private readOrder: Map<string, number> | undefined;

  constructor(
    readonly model: KconfigModel,
    readonly values: ConfigValues,
  ) {
    this.legacy = model.dialect === 'legacy';
    this.calc(model.modulesSym);
    this.modulesVal = this.state(model.modulesSym).tri;
    if (this.modulesVal !== 0) {
      // everything computed so far assumed MODULES=n
      const keep = this.states.get(model.modulesSym)!;
      this.states.clear();
      this.choiceStates.clear();
      this.states.set(model.modulesSym, keep);
    }
  }

  get modules(): Tristate {
    return this.modulesVal;
  }

  value(sym: KSymbol): Tristate {
    this.calc(sym);
    return this.st(sym).tri;
  }

  /** The value as .config spells it: n/m/y for bool/tristate, the text otherwise. */
  text(sym: KSymbol): string {
    this.calc(sym);
    const st = this.st(sym);
    if (sym.isConst && ['y', 'm', 'n'].includes(sym.name)) return sym.name;
    if (sym.type === 'bool' || sym.type === 'tristate') return triText(st.tri);
    return st.str;
  }

  state(sym: KSymbol): SymbolState {
    this.calc(sym);
    return this.st(sym);
  }

  /** The choice member that is y, for a choice symbol. */
  choiceSelection(choice: KSymbol): KSymbol | undefined {
    if (this.legacy) {
      this.calc(choice);
    } else {
      this.calcChoiceMembers(choice);
    }
    return this.choiceStates.get(choice)?.selected;
  }

  expr(e: Expr | undefined): Tristate {
    if (!e) return 2;
    switch (e.k) {
      case 'sym':
        return this.value(e.sym);
      case 'not':
        return (2 - this.expr(e.e)) as Tristate;
      case 'and':
        return min(this.expr(e.l), this.expr(e.r));
      case 'or':
        return max(this.expr(e.l), this.expr(e.r));
      case 'cmp':
        return this.compare(e.op, e.l, e.r);
    }
  }

  /** Value a symbol would take without its .config value (defaults, selects, implies). */
  defaultValue(sym: KSymbol): Tristate {
    const st = this.state(sym);
    let v: Tristate = 0;
    const prop = this.defaultProp(sym);
    if (prop) v = min(this.expr(prop.expr), this.expr(prop.visible));
    if (st.implied !== 0) v = min(max(v, st.implied), st.dirDep);
    v = max(v, st.revDep);
    if (v === 1 && this.typeOf(sym) === 'bool') v = 2;
    return v;
  }

  /** The user value .config gives a symbol, as conf_set_sym_val would accept it. */
  userTri(sym: KSymbol): Tristate | undefined {
    const t = parseTri(this.values.get(sym.name));
    if (t === 1 && sym.type !== 'tristate') return undefined;
    return t;
  }

  userString(sym: KSymbol): string | undefined {
    const raw = this.values.get(sym.name);
    if (raw === undefined) return undefined;
    switch (sym.type) {
      case 'string':
        if (raw.startsWith('"'))
          return raw.slice(1, raw.endsWith('"') ? -1 : undefined).replace(/\\(.)/g, '$1');
        return raw;
      case 'int':
        return /^-?(0|[1-9][0-9]*)$/.test(raw) ? raw : undefined;
      case 'hex':
        return /^(0[xX])?[0-9a-fA-F]+$/.test(raw) ? raw : undefined;
      default:
        return undefined;
    }
  }

  /** A `default`/`prompt`... with its condition: the first default whose condition holds. */
  defaultProp(sym: KSymbol): Prop | undefined {
    for (const p of sym.props) if (p.kind === 'default' && this.expr(p.visible) !== 0) return p;
    return undefined;
  }

  typeOf(sym: KSymbol): KSymbol['type'] {
    if (sym.type === 'tristate') {
      if (this.legacy && sym.choice && this.st(sym).visible === 2) return 'bool';
      if (this.modulesVal === 0) return 'bool';
    }
    return sym.type;
  }

  private st(sym: KSymbol): SymbolState {
    let s = this.states.get(sym);
    if (!s) {
      s = {
        tri: 0,
        str: '',
        visible: 0,
        dirDep: 2,
        revDep: 0,
        implied: 0,
        write: false,
        source: 'none',
        defaultProp: undefined,
        valid: false,
      };
      this.states.set(sym, s);
    }
    return s;
  }

  private calcVisibility(sym: KSymbol): void {
    const st = this.st(sym);
    if (sym.transitional) {
      st.visible = 2;
      return;
    }
    let tri: Tristate = 0;
    for (const p of sym.props) {
      if (p.kind !== 'prompt') continue;
      let v = this.expr(p.visible);
      // tristate choice values with visibility m are hidden when the choice is y (6.1)
      if (
        this.legacy &&
        sym.choice &&
        sym.type === 'tristate' &&
        v === 1 &&
        this.value(sym.choice) === 2
      )
        v = 0;
      tri = max(tri, v);
    }
    if (tri === 1 && (sym.type !== 'tristate' || this.modulesVal === 0)) tri = 2;
    st.visible = tri;
    if (sym.choice) return;
    const boolish = (t: Tristate): Tristate => (t === 1 && this.typeOf(sym) === 'bool' ? 2 : t);
    st.dirDep = boolish(sym.dirDep ? this.expr(sym.dirDep) : 2);
    st.revDep = boolish(sym.revDep ? this.expr(sym.revDep) : 0);
    st.implied = boolish(sym.implied ? this.expr(sym.implied) : 0);
  }

  private calc(sym: KSymbol): void {
    const st = this.st(sym);
    if (st.valid) return;
    st.valid = true;
    if (sym.isConst) {
      st.source = 'const';
      st.tri = sym.name === 'y' ? 2 : sym.name === 'm' ? 1 : 0;
      st.str = sym.opaque ? '' : sym.name;
      return;
    }
    if (sym.type === 'unknown') {
      st.source = 'undefined';
      st.tri = 0;
      st.str = sym.name;
      return;
    }
    const isTri = sym.type === 'bool' || sym.type === 'tristate';
    st.write = false;
    this.calcVisibility(sym);
    if (st.visible !== 0) st.write = true;
    st.tri = 0;
    st.str = isTri
      ? 'n'
      : this.legacy
        ? ''
        : sym.type === 'int'
          ? '0'
          : sym.type === 'hex'
            ? '0x0'
            : '';

    if (sym.dependsOnOpaque || (sym.choice?.dependsOnOpaque ?? false)) {
      // a toolchain probe decides this one: read it back, never guess
      st.source = 'opaque';
      if (isTri) st.tri = this.userTri(sym) ?? 0;
      else st.str = this.userString(sym) ?? st.str;
      st.write = this.values.has(sym.name);
      if (!sym.choice) return;
      if (st.tri === 2) this.choiceStates.set(sym.choice, { done: true, selected: sym });
      return;
    }

    if (isTri) {
      let v: Tristate = 0;
      let source: ValueSource = 'none';
      let defaultProp: Prop | undefined;
      if (sym.choice && !this.legacy) {
        this.calcChoiceMembers(sym.choice);
        v = st.tri;
        source = 'choice';
      } else if (sym.choice && st.visible === 2) {
        const sel = this.choiceSelection(sym.choice);
        v = sel === sym ? 2 : 0;
        source = 'choice';
      } else {
        const user = sym.isChoice ? this.legacyChoiceUser(sym) : this.userTri(sym);
        if (st.visible !== 0 && user !== undefined) {
          v = min(user, st.visible);
          source = 'user';
        } else {
          if (st.revDep !== 0) st.write = true;
          if (!sym.isChoice) {
            const prop = this.defaultProp(sym);
            if (prop) {
              v = min(this.expr(prop.expr), this.expr(prop.visible));
              if (v !== 0) {
                st.write = true;
                source = 'default';
                defaultProp = prop;
              }
            }
            if (st.implied !== 0) {
              st.write = true;
              const before = v;
              v = min(max(v, st.implied), st.dirDep);
              if (v > before) source = 'imply';
            }
          }
        }
        if (st.revDep > v) source = 'select';
        v = max(v, st.revDep);
      }
      if (v === 1 && this.typeOf(sym) === 'bool') v = 2;
      st.tri = v;
      st.source = source;
      st.defaultProp = defaultProp;
      if (this.legacy && sym.isChoice) {
        this.choiceStates.set(sym, {
          done: true,
          selected: v === 2 ? this.legacyChoice(sym) : undefined,
        });
      }
      return;
    }

    // int, hex, string
    const user = this.userString(sym);
    if (st.visible !== 0 && user !== undefined) {
      st.str = user;
      st.source = 'user';
    } else {
      const prop = this.defaultProp(sym);
      if (prop?.expr?.k === 'sym') {
        st.write = true;
        st.str = this.text(prop.expr.sym);
        st.source = 'default';
        st.defaultProp = prop;
      }
    }
    this.validateRange(sym, st);
  }

  /** 6.1: the choice's own user value is the OR of its members' (confdata.c). */
  private legacyChoiceUser(choice: KSymbol): Tristate {
    let t: Tristate = 0;
    for (const m of choice.members) t = max(t, this.userTri(m) ?? 0);
    return t;
  }

  /**
   * 6.1 sym_calc_choice: the user's pick if visible, else the default, else the first
   * visible. The pick is the member set to y last in the .config (conf_read_simple).
   */
  private legacyChoice(choice: KSymbol): KSymbol | undefined {
    for (const m of choice.members) this.calcVisibility(m);
    const picked = this.byReadOrder(choice).find((m) => this.userTri(m) === 2);
    if (picked && this.st(picked).visible !== 0) return picked;
    return this.choiceDefault(choice);
  }

  /**
   * Members in conf's priority order: those the .config sets, the last read first (6.11+
   * conf_read_simple moves each read member to the front), then the rest in definition order.
   */
  private byReadOrder(choice: KSymbol): KSymbol[] {
    const order = (this.readOrder ??= new Map([...this.values.keys()].map((k, i) => [k, i])));
    const read = choice.members.filter((m) => order.has(m.name));
    read.sort((a, b) => order.get(b.name)! - order.get(a.name)!);
    return [...read, ...choice.members.filter((m) => !order.has(m.name))];
  }

  private choiceDefault(choice: KSymbol): KSymbol | undefined {
    for (const p of choice.props) {
      if (p.kind !== 'default' || this.expr(p.visible) === 0 || p.expr?.k !== 'sym') continue;
      const target = p.expr.sym;
      if (this.st(target).visible !== 0) return target;
    }
    return choice.members.find((m) => this.st(m).visible !== 0);
  }

  /** 6.11+ sym_calc_choice. */
  private calcChoiceMembers(choice: KSymbol): void {
    let cs = this.choiceStates.get(choice);
    if (cs?.done) return;
    cs = { done: true, selected: undefined };
    this.choiceStates.set(choice, cs);
    let res: KSymbol | undefined;
    for (const m of choice.members) this.calcVisibility(m);
    const priority = this.byReadOrder(choice);
    for (const m of priority) {
      if (this.st(m).visible === 0) continue;
      if (this.userTri(m) === 2) {
        res = m;
        break;
      }
    }
    if (!res) {
      res = this.choiceDefault(choice);
      if (res && this.userTri(res) === 0) res = undefined;
    }
    if (!res)
      res = choice.members.find((m) => this.st(m).visible !== 0 && this.userTri(m) === undefined);
    if (!res) res = [...priority].reverse().find((m) => this.st(m).visible !== 0);
    cs.selected = res;
    for (const m of choice.members) {
      const st = this.st(m);
      if (st.visible === 0) continue;
      st.tri = m === res ? 2 : 0;
      st.valid = true;
      st.write = true;
      st.source = 'choice';
    }
  }

  private validateRange(sym: KSymbol, st: SymbolState): void {
    if (sym.type !== 'int' && sym.type !== 'hex') return;
    const range = sym.props.find((p) => p.kind === 'range' && this.expr(p.visible) !== 0);
    if (!range || range.expr?.k !== 'sym' || range.expr2?.k !== 'sym') return;
    const base = sym.type === 'hex' ? 16 : 10;
    const val = parseBase(st.str, base);
    const lo = parseBase(this.rangeText(range.expr.sym), base);
    const hi = parseBase(this.rangeText(range.expr2.sym), base);
    if (val === undefined || lo === undefined || hi === undefined) return;
    let v2: bigint | undefined;
    if (val < lo) v2 = lo;
    else if (val > hi) v2 = hi;
    if (v2 === undefined) return;
    st.str = sym.type === 'hex' ? `0x${v2.toString(16)}` : v2.toString();
  }

  private rangeText(s: KSymbol): string {
    return this.text(s);
  }

  private compare(op: string, l: KSymbol, r: KSymbol): Tristate {
    const s1 = this.text(l);
    const s2 = this.text(r);
    let res: number;
    const bothString = l.type === 'string' && r.type === 'string';
    const k1 = bothString ? undefined : parseKind(s1, l.type);
    const k2 = bothString ? undefined : parseKind(s2, r.type);
    if (!k1 || !k2) res = s1 < s2 ? -1 : s1 > s2 ? 1 : 0;
    else res = k1 < k2 ? -1 : k1 > k2 ? 1 : 0;
    switch (op) {
      case '=':
        return res === 0 ? 2 : 0;
      case '!=':
        return res !== 0 ? 2 : 0;
      case '<':
        return res < 0 ? 2 : 0;
      case '<=':
        return res <= 0 ? 2 : 0;
      case '>':
        return res > 0 ? 2 : 0;
      default:
        return res >= 0 ? 2 : 0;
    }
  }
}

/** expr.c expr_parse_string: a number for the type, or undefined for "compare as strings". */
function parseKind(s: string, type: KSymbol['type']): bigint | undefined {
  switch (type) {
    case 'bool':
    case 'tristate':
      return s === 'n' ? 0n : s === 'm' ? 1n : s === 'y' ? 2n : -1n;
    case 'int':
      return parseBase(s, 10);
    case 'hex':
      return parseBase(s, 16);
    default:
      return parseBase(s, 0);
  }
}

function parseBase(s: string, base: 0 | 10 | 16): bigint | undefined {
  const t = s.replace(/^\s+/, '');
  let m: RegExpExecArray | null;
  if (base === 10) {
    m = /^([+-]?)([0-9]+)$/.exec(t);
    return m ? BigInt(m[1] + m[2]!) : undefined;
  }
  if (base === 16) {
    m = /^([+-]?)(?:0[xX])?([0-9a-fA-F]+)$/.exec(t);
    return m ? (m[1] === '-' ? -1n : 1n) * BigInt('0x' + m[2]!) : undefined;
  }
  m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(t);
  if (!m) return undefined;
  const body = m[2]!;
  const v = /^0[xX]/.test(body)
    ? BigInt(body)
    : body.length > 1 && body[0] === '0'
      ? BigInt('0o' + body.slice(1))
      : BigInt(body);
  return m[1] === '-' ? -v : v;
}
