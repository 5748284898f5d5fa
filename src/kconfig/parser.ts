// Kconfig parser: walks `source` statements through an injected reader and builds the
// menu tree and symbol table, as scripts/kconfig/parser.y + menu.c do before finalize.
// Pure: no file system here; problems become Diagnostics with file:line.
import type {
  Diagnostic,
  Expr,
  KSymbol,
  Location,
  MenuKind,
  MenuNode,
  Prop,
  PropKind,
  SymbolType,
} from './ast.js';
import { newSymbol } from './ast.js';
import { andExpr } from './expr.js';
import { lexLine, type Token } from './lexer.js';
import { MacroExpander, isOpaque } from './macro.js';

export interface SourceReader {
  /** Text of a file given relative to the tree root; undefined when it does not exist. */
  readFile(path: string): string | undefined;
  /** Tree-relative paths matching a glob pattern, sorted. */
  glob(pattern: string): string[];
}

export interface ParseOptions {
  reader: SourceReader;
  env: Readonly<Record<string, string>>;
  /** Top-level file, default `Kconfig`. */
  rootFile?: string;
}

export interface ParseResult {
  root: MenuNode;
  symbols: Map<string, KSymbol>;
  constants: { y: KSymbol; m: KSymbol; n: KSymbol };
  diagnostics: Diagnostic[];
  files: string[];
  mainmenu: string | undefined;
  envUsed: string[];
}

interface Block {
  node: MenuNode;
  file: string;
  keyword: 'menu' | 'if' | 'choice';
}

const TYPE_KW: Record<string, SymbolType> = {
  bool: 'bool',
  tristate: 'tristate',
  int: 'int',
  hex: 'hex',
  string: 'string',
};

export function parseKconfig(opts: ParseOptions): ParseResult {
  return new Parser(opts).run();
}

class ParseError extends Error {}

class Parser {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly symbols = new Map<string, KSymbol>();
  private readonly strings = new Map<string, KSymbol>();
  private readonly y = newSymbol('y', true);
  private readonly m = newSymbol('m', true);
  private readonly n = newSymbol('n', true);
  private readonly macros: MacroExpander;
  private readonly root: MenuNode;
  private readonly blocks: Block[] = [];
  private readonly files: string[] = [];
  private readonly includeStack: string[] = [];
  private entry: MenuNode | undefined;
  private mainmenu: string | undefined;
  private loc: Location = { file: '', line: 0 };
  private toks: Token[] = [];
  private pos = 0;

  constructor(private readonly opts: ParseOptions) {
    this.macros = new MacroExpander(opts.env, this.diagnostics);
    for (const c of [this.y, this.m, this.n]) c.type = 'tristate';
    this.root = {
      kind: 'root',
      loc: { file: opts.rootFile ?? 'Kconfig', line: 0 },
      sym: undefined,
      prompt: undefined,
      dep: undefined,
      visibility: undefined,
      depSites: [],
      parent: undefined,
      children: [],
    };
  }

  run(): ParseResult {
    const rootFile = this.opts.rootFile ?? 'Kconfig';
    const text = this.opts.reader.readFile(rootFile);
    if (text === undefined)
      this.error({ file: rootFile, line: 0 }, `can't open file "${rootFile}"`);
    else this.parseFile(rootFile, text);
    return {
      root: this.root,
      symbols: this.symbols,
      constants: { y: this.y, m: this.m, n: this.n },
      diagnostics: this.diagnostics,
      files: this.files,
      mainmenu: this.mainmenu,
      envUsed: [...this.macros.envUsed].sort(),
    };
  }

  private error(loc: Location, message: string): void {
    this.diagnostics.push({ severity: 'error', file: loc.file, line: loc.line, message });
  }

  private warn(loc: Location, message: string): void {
    this.diagnostics.push({ severity: 'warning', file: loc.file, line: loc.line, message });
  }

  private parseFile(file: string, text: string): void {
    this.files.push(file);
    this.includeStack.push(file);
    const depthAtStart = this.blocks.length;
    this.entry = undefined;
    const lines = text.split('\n');
    let i = 0;
    while (i < lines.length) {
      const lineNo = i + 1;
      let line = lines[i]!;
      i++;
      // backslash-newline is whitespace (lexer.l), except at the end of a comment
      while (line.endsWith('\\') && i < lines.length && !/^\s*#/.test(line)) {
        line = line.slice(0, -1) + ' ' + lines[i]!;
        i++;
      }
      if (line.length === 0) continue;
      this.loc = { file, line: lineNo };
      this.macros.at(this.loc);
      const lexed = lexLine(line, (s) => this.macros.expand(s));
      for (const p of lexed.problems) this.warn(this.loc, p);
      if (lexed.assignment) {
        const a = lexed.assignment;
        this.macros.assign(a.name, a.op, a.value);
        continue;
      }
      if (lexed.tokens.length === 0) continue;
      this.toks = lexed.tokens;
      this.pos = 0;
      let wantsHelp = false;
      try {
        wantsHelp = this.statement();
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        this.error(this.loc, e.message);
      }
      if (wantsHelp) {
        const r = readHelp(lines, i);
        i = r.next;
        const entry = this.entry as MenuNode | undefined;
        if (entry) entry.help = r.text;
      }
    }
    while (this.blocks.length > depthAtStart) {
      const b = this.blocks.pop()!;
      this.error(b.node.loc, `unterminated '${b.keyword}' (missing 'end${b.keyword}')`);
    }
    this.includeStack.pop();
    this.entry = undefined;
  }

  // ---- token helpers

  private peek(): Token | undefined {
    return this.toks[this.pos];
  }

  private atEnd(): boolean {
    return this.pos >= this.toks.length;
  }

  private isKw(v: string): boolean {
    const t = this.toks[this.pos];
    return t !== undefined && t.t === 'kw' && t.v === v;
  }

  private isOp(v: string): boolean {
    const t = this.toks[this.pos];
    return t !== undefined && t.t === 'op' && t.v === v;
  }

  private describe(t: Token | undefined): string {
    if (!t) return 'end of line';
    return t.t === 'str' ? `string "${t.v}"` : `'${t.v}'`;
  }

  private fail(what: string): never {
    throw new ParseError(`syntax error: expected ${what}, found ${this.describe(this.peek())}`);
  }

  private expectEnd(): void {
    if (!this.atEnd()) this.fail('end of line');
  }

  private word(what = 'a symbol name'): string {
    const t = this.peek();
    if (t?.t !== 'word') this.fail(what);
    this.pos++;
    return t.v;
  }

  private str(what = 'a quoted string'): string {
    const t = this.peek();
    if (t?.t !== 'str') this.fail(what);
    this.pos++;
    return t.v;
  }

  private optIf(): Expr | undefined {
    if (!this.isKw('if')) return undefined;
    this.pos++;
    return this.expr();
  }

  // ---- symbols

  private symbol(name: string): KSymbol {
    if (name === 'y') return this.y;
    if (name === 'm') return this.m;
    if (name === 'n') return this.n;
    if (isOpaque(name)) return newSymbol(name, true, true);
    let s = this.symbols.get(name);
    if (!s) {
      s = newSymbol(name, false);
      this.symbols.set(name, s);
    }
    return s;
  }

  private constant(text: string): KSymbol {
    if (text === 'y') return this.y;
    if (text === 'm') return this.m;
    if (text === 'n') return this.n;
    if (isOpaque(text)) return newSymbol(text, true, true);
    let s = this.strings.get(text);
    if (!s) {
      s = newSymbol(text, true);
      this.strings.set(text, s);
    }
    return s;
  }

  // ---- expressions (parser.y precedence: || < && < comparison, ! binds tightest)

  private expr(): Expr {
    let e = this.andExpr();
    while (this.isOp('||')) {
      this.pos++;
      e = { k: 'or', l: e, r: this.andExpr() };
    }
    return e;
  }

  private andExpr(): Expr {
    let e = this.unary();
    while (this.isOp('&&')) {
      this.pos++;
      e = { k: 'and', l: e, r: this.unary() };
    }
    return e;
  }

  private unary(): Expr {
    if (this.isOp('!')) {
      this.pos++;
      return { k: 'not', e: this.unary() };
    }
    if (this.isOp('(')) {
      this.pos++;
      const e = this.expr();
      if (!this.isOp(')')) this.fail("')'");
      this.pos++;
      return e;
    }
    const l = this.exprSymbol();
    const t = this.peek();
    if (
      t?.t === 'op' &&
      (t.v === '=' || t.v === '!=' || t.v === '<' || t.v === '<=' || t.v === '>' || t.v === '>=')
    ) {
      this.pos++;
      return { k: 'cmp', op: t.v, l, r: this.exprSymbol() };
    }
    return { k: 'sym', sym: l };
  }

  private exprSymbol(): KSymbol {
    const t = this.peek();
    if (t?.t === 'word') {
      this.pos++;
      return this.symbol(t.v);
    }
    if (t?.t === 'str') {
      this.pos++;
      return this.constant(t.v);
    }
    this.fail('a symbol or constant');
  }

  // ---- menu tree

  private get parent(): MenuNode {
    return this.blocks.length ? this.blocks[this.blocks.length - 1]!.node : this.root;
  }

  private addNode(kind: MenuKind, sym: KSymbol | undefined, dep?: Expr): MenuNode {
    const node: MenuNode = {
      kind,
      loc: this.loc,
      sym,
      prompt: undefined,
      dep,
      visibility: undefined,
      depSites: [],
      parent: this.parent,
      children: [],
    };
    this.parent.children.push(node);
    return node;
  }

  private addProp(node: MenuNode, kind: PropKind, fields: Partial<Prop>): Prop {
    const prop: Prop = {
      kind,
      loc: this.loc,
      node,
      cond: fields.cond,
      visible: fields.cond,
      ...(fields.text !== undefined ? { text: fields.text } : {}),
      ...(fields.expr !== undefined ? { expr: fields.expr } : {}),
      ...(fields.expr2 !== undefined ? { expr2: fields.expr2 } : {}),
    };
    node.sym?.props.push(prop);
    return prop;
  }

  private addPrompt(node: MenuNode, text: string, cond: Expr | undefined): void {
    if (node.prompt && node.sym) this.warn(this.loc, 'prompt redefined');
    const prop = this.addProp(node, 'prompt', { text, cond });
    // menu.c applies every enclosing menu's `visible if` to real prompts
    let visible = cond;
    for (let p = node.parent; p; p = p.parent)
      if (p.visibility) visible = andExpr(visible, p.visibility);
    prop.visible = visible;
    node.prompt = prop;
  }

  private setType(node: MenuNode, type: SymbolType): void {
    const sym = node.sym;
    if (!sym) throw new ParseError(`'${type}' is only valid for config and choice entries`);
    if (sym.type === 'unknown' || sym.type === type) sym.type = type;
    else
      this.warn(
        this.loc,
        `ignoring type redefinition of '${sym.name}' from '${sym.type}' to '${type}'`,
      );
  }

  /** Returns true when the statement was `help` and help text follows. */
  private statement(): boolean {
    const t = this.toks[0]!;
    if (t.t !== 'kw') {
      if (t.t === 'word') throw new ParseError(`unknown statement "${t.v}"`);
      this.fail('a statement');
    }
    this.pos = 1;
    switch (t.v) {
      case 'config':
      case 'menuconfig': {
        const sym = this.symbol(this.word());
        this.expectEnd();
        const node = this.addNode(t.v, sym);
        sym.nodes.push(node);
        const choice = this.enclosingChoice();
        if (choice?.sym) {
          sym.choice = choice.sym;
          if (!choice.sym.members.includes(sym)) choice.sym.members.push(sym);
        }
        this.entry = node;
        return false;
      }
      case 'choice': {
        let sym: KSymbol;
        if (!this.atEnd()) sym = this.symbol(this.word());
        else sym = newSymbol('<choice>', false);
        this.expectEnd();
        sym.isChoice = true;
        const node = this.addNode('choice', sym);
        sym.nodes.push(node);
        this.blocks.push({ node, file: this.loc.file, keyword: 'choice' });
        this.entry = node;
        return false;
      }
      case 'endchoice':
      case 'endmenu':
      case 'endif':
        this.expectEnd();
        this.endBlock(t.v.slice(3) as Block['keyword']);
        this.entry = undefined;
        return false;
      case 'menu': {
        const text = this.str();
        this.expectEnd();
        const node = this.addNode('menu', undefined);
        node.prompt = this.addProp(node, 'menu', { text });
        this.blocks.push({ node, file: this.loc.file, keyword: 'menu' });
        this.entry = node;
        return false;
      }
      case 'comment': {
        const text = this.str();
        this.expectEnd();
        const node = this.addNode('comment', undefined);
        node.prompt = this.addProp(node, 'comment', { text });
        this.entry = node;
        return false;
      }
      case 'if': {
        const e = this.expr();
        this.expectEnd();
        const node = this.addNode('if', undefined, e);
        this.blocks.push({ node, file: this.loc.file, keyword: 'if' });
        this.entry = undefined;
        return false;
      }
      case 'mainmenu':
        this.mainmenu = this.str();
        this.expectEnd();
        this.entry = undefined;
        return false;
      case 'source':
      case 'rsource':
      case 'osource':
      case 'orsource': {
        const path = this.str('a file name in quotes');
        this.expectEnd();
        this.entry = undefined;
        this.source(t.v, path);
        return false;
      }
    }
    const node = this.entry;
    if (!node)
      throw new ParseError(`unexpected '${t.v}' outside a config, choice, menu or comment entry`);
    return this.property(node, t.v);
  }

  private property(node: MenuNode, kw: string): boolean {
    const isSym = node.kind === 'config' || node.kind === 'menuconfig' || node.kind === 'choice';
    const onlySym = () => {
      if (!isSym) throw new ParseError(`'${kw}' is not valid in a ${node.kind} entry`);
    };
    switch (kw) {
      case 'bool':
      case 'tristate':
      case 'int':
      case 'hex':
      case 'string': {
        onlySym();
        this.setType(node, TYPE_KW[kw]!);
        if (!this.atEnd() && !this.isKw('if')) {
          const text = this.str('a prompt in quotes');
          this.addPrompt(node, text, this.optIf());
        }
        this.expectEnd();
        return false;
      }
      case 'def_bool':
      case 'def_tristate': {
        onlySym();
        this.setType(node, kw === 'def_bool' ? 'bool' : 'tristate');
        const e = this.expr();
        this.addProp(node, 'default', { expr: e, cond: this.optIf() });
        this.expectEnd();
        return false;
      }
      case 'prompt': {
        onlySym();
        const text = this.str('a prompt in quotes');
        this.addPrompt(node, text, this.optIf());
        this.expectEnd();
        return false;
      }
      case 'default': {
        onlySym();
        const e =
          node.kind === 'choice'
            ? { k: 'sym' as const, sym: this.symbol(this.word()) }
            : this.expr();
        this.addProp(node, 'default', { expr: e, cond: this.optIf() });
        this.expectEnd();
        return false;
      }
      case 'depends':
        this.dependsOn(node);
        return false;
      case 'visible': {
        if (!this.isKw('if')) this.fail("'if'");
        this.pos++;
        const e = this.expr();
        this.expectEnd();
        if (node.kind !== 'menu') throw new ParseError("'visible if' is only valid for menus");
        node.visibility = andExpr(node.visibility, e);
        return false;
      }
      case 'select':
      case 'imply': {
        onlySym();
        const target = this.symbol(this.word());
        this.addProp(node, kw, { expr: { k: 'sym', sym: target }, cond: this.optIf() });
        this.expectEnd();
        return false;
      }
      case 'range': {
        onlySym();
        const lo = this.exprSymbol();
        const hi = this.exprSymbol();
        this.addProp(node, 'range', {
          expr: { k: 'sym', sym: lo },
          expr2: { k: 'sym', sym: hi },
          cond: this.optIf(),
        });
        this.expectEnd();
        return false;
      }
      case 'help':
      case '---help---':
        this.expectEnd();
        return true;
      case 'modules':
        onlySym();
        this.expectEnd();
        node.sym!.isModules = true;
        return false;
      case 'optional':
        this.expectEnd();
        if (node.kind !== 'choice') throw new ParseError("'optional' is only valid for choices");
        node.sym!.optional = true;
        return false;
      case 'transitional':
        onlySym();
        this.expectEnd();
        node.sym!.transitional = true;
        return false;
      case 'option':
        onlySym();
        this.legacyOption(node);
        return false;
    }
    throw new ParseError(`unknown option "${kw}"`);
  }

  /** `depends on EXPR [if COND]`, anded into the entry's dependency. */
  private dependsOn(node: MenuNode): void {
    if (!this.isKw('on')) this.fail("'on'");
    this.pos++;
    let e = this.expr();
    const cond = this.optIf();
    this.expectEnd();
    if (node.kind === 'if') throw new ParseError("'depends on' is not valid here");
    if (cond) {
      // 7.x `depends on X if Y` means X || (Y = n) (menu.c menu_add_dep)
      const off: Expr =
        cond.k === 'sym' ? { k: 'cmp', op: '=', l: cond.sym, r: this.n } : { k: 'not', e: cond };
      e = { k: 'or', l: e, r: off };
    }
    node.dep = andExpr(node.dep, e);
    node.depSites.push({ expr: e, loc: this.loc });
  }

  /** `option NAME` (pre-5.x syntax, kept for old trees). */
  private legacyOption(node: MenuNode): void {
    const name = this.word('an option name');
    if (name === 'modules') node.sym!.isModules = true;
    else if (name === 'env') {
      if (!this.isOp('=')) this.fail("'='");
      this.pos++;
      const v = this.str();
      const value = this.opts.env[v];
      this.addProp(node, 'default', {
        expr: { k: 'sym', sym: this.constant(value ?? '\uE000') },
      });
    } else if (name === 'defconfig_list' || name === 'allnoconfig_y') {
      // only matters to conf's file lookup / allnoconfig
    } else this.warn(this.loc, `ignoring unknown option "${name}"`);
  }

  private enclosingChoice(): MenuNode | undefined {
    for (let i = this.blocks.length - 1; i >= 0; i--) {
      const b = this.blocks[i]!;
      if (b.keyword === 'choice') return b.node;
      if (b.keyword !== 'if') return undefined;
    }
    return undefined;
  }

  private endBlock(keyword: Block['keyword']): void {
    const top = this.blocks[this.blocks.length - 1];
    if (!top) throw new ParseError(`unexpected 'end${keyword}' without matching '${keyword}'`);
    if (top.keyword !== keyword) {
      throw new ParseError(
        `unexpected 'end${keyword}' within '${top.keyword}' block opened at ${top.node.loc.file}:${top.node.loc.line}`,
      );
    }
    if (top.file !== this.loc.file) {
      throw new ParseError(
        `'end${keyword}' in different file than '${keyword}' (${top.node.loc.file}:${top.node.loc.line})`,
      );
    }
    this.blocks.pop();
  }

  private source(kw: string, rawPath: string): void {
    if (isOpaque(rawPath)) {
      this.error(
        this.loc,
        `cannot resolve source path "${rawPath.replaceAll('\uE000', '$(...)')}" (unknown variable)`,
      );
      return;
    }
    const relative = kw === 'rsource' || kw === 'orsource';
    const optional = kw === 'osource' || kw === 'orsource';
    const dir = this.loc.file.includes('/')
      ? this.loc.file.slice(0, this.loc.file.lastIndexOf('/') + 1)
      : '';
    const path = relative ? normalize(dir + rawPath) : normalize(rawPath);
    const from = this.loc;
    const paths = /[*?[]/.test(path) ? this.opts.reader.glob(path) : [path];
    if (paths.length === 0 && !optional && !/[*?[]/.test(path)) {
      this.error(from, `can't open file "${path}"`);
      return;
    }
    for (const p of paths) {
      if (this.includeStack.includes(p)) {
        this.error(from, `recursive inclusion detected: ${[...this.includeStack, p].join(' -> ')}`);
        continue;
      }
      const text = this.opts.reader.readFile(p);
      if (text === undefined) {
        if (!optional) this.error(from, `can't open file "${p}"`);
        continue;
      }
      this.parseFile(p, text);
      this.loc = from;
      this.macros.at(from);
    }
    this.entry = undefined;
  }
}

function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

/** Help text ends at the first non-blank line indented less than its first line (lexer.l). */
function readHelp(lines: readonly string[], start: number): { text: string; next: number } {
  let firstTs = 0;
  const text: string[] = [];
  let i = start;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    let ts = 0;
    let j = 0;
    for (; j < line.length; j++) {
      const c = line[j];
      if (c === '\t') ts = (ts & ~7) + 8;
      else if (c === ' ') ts++;
      else break;
    }
    if (j === line.length || line.slice(j).trim() === '') {
      text.push('');
      continue;
    }
    if (firstTs === 0) {
      if (ts === 0) break;
      firstTs = ts;
    } else if (ts < firstTs) break;
    text.push(line.slice(j).trimEnd());
  }
  while (text.length && text[text.length - 1] === '') text.pop();
  while (text.length && text[0] === '') text.shift();
  return { text: text.join('\n'), next: i };
}
