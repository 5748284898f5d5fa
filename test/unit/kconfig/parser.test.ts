import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/kconfig/ast.js';
import { exprToString } from '../../../src/kconfig/expr.js';
import { model } from './helpers.js';

const errors = (m: ReturnType<typeof model>) =>
  m.diagnostics.filter((d) => d.severity !== 'info').map(formatDiagnostic);

describe('Kconfig parser', () => {
  it('parses config entries with every property, keeping file:line', () => {
    const m = model(
      [
        'config A',
        '\ttristate "A prompt" if B',
        '\tdefault m if C',
        '\tdefault y',
        '\tdepends on B && !D',
        '\tselect E if C',
        '\timply F',
        '\thelp',
        '\t  Some help with',
        '',
        '\t  a blank line, then the end.',
        'config B',
        '\tdef_bool y',
        'config C',
        '\tbool',
        'config D',
        '\tdef_tristate m',
        'config E',
        '\tbool',
        'config F',
        '\tint "f"',
        '\trange 1 10',
        '\tdefault 4',
      ].join('\n'),
    );
    expect(errors(m)).toEqual([]);
    const a = m.symbol('A')!;
    expect(a.type).toBe('tristate');
    expect(m.definitions('A')).toEqual([{ file: 'Kconfig', line: 4 }]);
    expect(a.props.map((p) => `${p.kind}@${p.loc.line}`)).toEqual([
      'prompt@5',
      'default@6',
      'default@7',
      'select@9',
      'imply@10',
    ]);
    expect(a.nodes[0]!.help).toBe('Some help with\n\na blank line, then the end.');
    expect(exprToString(a.dirDep)).toBe('B && !D');
    expect(exprToString(m.symbol('E')!.revDep)).toBe('A && B && !D && C');
    expect(exprToString(m.symbol('F')!.implied)).toBe('A && B && !D');
    expect(m.symbol('F')!.props.find((p) => p.kind === 'range')!.loc.line).toBe(25);
    expect(m.isDefined('B')).toBe(true);
    expect(m.isDefined('NOPE')).toBe(false);
  });

  it('propagates menu, if and visible-if dependencies', () => {
    const m = model(
      [
        'config X',
        '\tbool',
        'menu "M"',
        '\tdepends on X',
        '\tvisible if V',
        'if Y',
        'config A',
        '\tbool "a"',
        'endif',
        'endmenu',
        'config V',
        '\tbool',
        'config Y',
        '\tbool',
      ].join('\n'),
    );
    expect(errors(m)).toEqual([]);
    const a = m.symbol('A')!;
    expect(exprToString(a.dirDep)).toBe('X && Y');
    expect(exprToString(a.props[0]!.visible)).toBe('X && Y && V');
  });

  it('collects choice members, named and unnamed, and the optional flag', () => {
    const m = model(
      [
        'choice CH',
        '\tprompt "pick"',
        '\toptional',
        '\tdefault B',
        'config A',
        '\tbool "a"',
        'if Z',
        'config B',
        '\tbool "b"',
        'endif',
        'endchoice',
        'choice',
        '\tprompt "other"',
        'config C',
        '\ttristate "c"',
        'endchoice',
        'config Z',
        '\tbool',
      ].join('\n'),
      { dialect: 'legacy' },
    );
    expect(errors(m)).toEqual([]);
    expect(m.choices.map((c) => c.name)).toEqual(['CH', '<choice>']);
    expect(m.choices[0]!.members.map((s) => s.name)).toEqual(['A', 'B']);
    expect(m.choices[0]!.optional).toBe(true);
    expect(m.choices[0]!.type).toBe('bool');
    expect(m.choices[1]!.type).toBe('tristate');
  });

  it('follows source with macros, rsource and globs', () => {
    const m = model(
      'source "arch/$(SRCARCH)/Kconfig"\nosource "missing/Kconfig"\nsource "drivers/*/Kconfig"\n',
      {
        files: {
          'arch/x86/Kconfig': 'config X86\n\tdef_bool y\nrsource "sub/Kconfig"\n',
          'arch/x86/sub/Kconfig': 'config SUB\n\tbool\n',
          'drivers/a/Kconfig': 'config DA\n\tbool\n',
          'drivers/b/Kconfig': 'config DB\n\tbool\n',
        },
      },
    );
    expect(errors(m)).toEqual([]);
    expect(m.files).toEqual([
      'Kconfig',
      'arch/x86/Kconfig',
      'arch/x86/sub/Kconfig',
      'drivers/a/Kconfig',
      'drivers/b/Kconfig',
    ]);
    expect(m.definitions('SUB')).toEqual([{ file: 'arch/x86/sub/Kconfig', line: 1 }]);
  });

  it('expands variables and user functions, keeps shell results opaque', () => {
    const m = model(
      [
        'success = $(if-success,$(1),y,n)',
        'if-success = $(shell,{ $(1); } >/dev/null 2>&1 && echo "$(2)" || echo "$(3)")',
        'cc-option = $(success,$(CC) $(1))',
        'simple := $(SRCARCH)',
        'simple += more',
        'pick = $(2)',
        'config HAS_FLAG',
        '\tdef_bool $(cc-option,-mfoo)',
        'config S',
        '\tstring',
        '\tdefault "$(simple)-$(pick,a,b)-$(filename):$(lineno)"',
        'config ARCHY',
        '\tdef_bool y if "$(ARCH)" = "x86_64"',
        '$(info,hello)',
        '$(warning-if,y,careful)',
        '$(error-if,$(success,true),never reported: opaque)',
      ].join('\n'),
    );
    expect(errors(m)).toEqual(['Kconfig:18: warning: careful']);
    expect(m.diagnostics.find((d) => d.severity === 'info')?.message).toBe('hello');
    expect(m.symbol('HAS_FLAG')!.dependsOnOpaque).toBe(true);
    const def = m.symbol('S')!.props[0]!.expr!;
    expect(def.k === 'sym' && def.sym.name).toBe('x86 more-b-Kconfig:14');
    expect(m.symbol('ARCHY')!.dependsOnOpaque).toBe(false);
  });

  it('reports syntax errors as file:line diagnostics and keeps going', () => {
    const m = model(
      [
        'config A',
        '\tbool "a" if',
        'config B',
        '\tbogus thing',
        'menu "m"',
        'config C',
        '\tbool',
        'endchoice',
        'junk',
      ].join('\n'),
      { modules: false, files: {} },
    );
    expect(errors(m)).toEqual([
      'Kconfig:2: syntax error: expected a symbol or constant, found end of line',
      'Kconfig:4: unknown statement "bogus"',
      "Kconfig:8: unexpected 'endchoice' within 'menu' block opened at Kconfig:5",
      'Kconfig:9: unknown statement "junk"',
      "Kconfig:5: unterminated 'menu' (missing 'endmenu')",
    ]);
    expect(m.isDefined('C')).toBe(true);
  });

  it('reports missing source files at the source line', () => {
    const m = model('config A\n\tbool\nsource "nope/Kconfig"\n', { modules: false });
    expect(errors(m)).toEqual(['Kconfig:3: can\'t open file "nope/Kconfig"']);
  });

  it('understands `depends on X if Y` (7.x) and transitional', () => {
    const m = model(
      'config A\n\tbool "a"\n\tdepends on B if C\nconfig OLD\n\tbool\n\ttransitional\nconfig B\n\tbool\nconfig C\n\tbool\n',
    );
    expect(errors(m)).toEqual([]);
    expect(exprToString(m.symbol('A')!.dirDep)).toBe('B || C = n');
    expect(m.symbol('OLD')!.transitional).toBe(true);
  });
});
