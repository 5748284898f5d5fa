import { describe, expect, it } from 'vitest';
import { Evaluator } from '../../../src/kconfig/eval.js';
import { model } from './helpers.js';

const values = (o: Record<string, string>) => new Map(Object.entries(o));
const run = (
  text: string,
  config: Record<string, string>,
  opts: Parameters<typeof model>[1] = {},
) => {
  const m = model(text, opts);
  const ev = new Evaluator(m, values(config));
  return (name: string) => ev.text(m.symbols.get(name)!);
};

describe('Kconfig evaluation', () => {
  it('applies tristate logic to dependencies: && min, || max, ! 2-x', () => {
    const v = run(
      [
        'config A',
        '\ttristate "a"',
        'config B',
        '\ttristate "b"',
        'config AND',
        '\ttristate',
        '\tdefault A && B',
        'config OR',
        '\ttristate',
        '\tdefault A || B',
        'config NOT',
        '\ttristate',
        '\tdefault !A',
        'config DEP',
        '\ttristate "dep"',
        '\tdepends on A',
      ].join('\n'),
      { MODULES: 'y', A: 'm', B: 'y', DEP: 'y' },
    );
    expect([v('AND'), v('OR'), v('NOT'), v('DEP')]).toEqual(['m', 'y', 'm', 'm']);
  });

  it('compares ints, hex and strings like expr.c', () => {
    const v = run(
      [
        'config N',
        '\tint "n"',
        'config H',
        '\thex "h"',
        'config S',
        '\tstring "s"',
        'config LT',
        '\tdef_bool N < 10',
        'config GE',
        '\tdef_bool H >= 0x100',
        'config EQ',
        '\tdef_bool S = "abc"',
        'config NE',
        '\tdef_bool S != "abc"',
      ].join('\n'),
      { N: '9', H: '0x1ff', S: '"abc"' },
    );
    expect([v('LT'), v('GE'), v('EQ'), v('NE')]).toEqual(['y', 'y', 'y', 'n']);
  });

  it('select forces a lower bound past the user value; imply only a default', () => {
    const text = [
      'config S',
      '\tbool "s"',
      '\tselect T',
      '\timply U',
      'config T',
      '\tbool "t"',
      'config U',
      '\tbool "u"',
      'config W',
      '\tbool',
      '\tdepends on S',
      '\tdefault y',
    ].join('\n');
    const v = run(text, { S: 'y', T: 'n', U: 'n' });
    expect([v('T'), v('U'), v('W')]).toEqual(['y', 'n', 'y']);
    const v2 = run(text, { S: 'y' });
    expect(v2('U')).toBe('y');
  });

  it('demotes m to y when MODULES=n, and a literal m dependency to n', () => {
    const text =
      'config A\n\ttristate "a"\nconfig B\n\ttristate\n\tdefault m\nconfig C\n\ttristate "c"\n\tdepends on m\n';
    const off = run(text, { MODULES: 'n', A: 'm', C: 'y' });
    expect([off('A'), off('B'), off('C')]).toEqual(['y', 'y', 'n']);
    const on = run(text, { MODULES: 'y', A: 'm', C: 'y' });
    expect([on('A'), on('B'), on('C')]).toEqual(['m', 'm', 'm']);
  });

  it('ignores .config values of symbols without a visible prompt', () => {
    const v = run('config A\n\tbool\n\tdefault n\nconfig B\n\tbool "b" if A\n\tdefault y\n', {
      A: 'y',
      B: 'n',
    });
    expect([v('A'), v('B')]).toEqual(['n', 'y']);
  });

  it('picks choice members: user pick, then default, in both dialects', () => {
    const text = [
      'choice',
      '\tprompt "pick"',
      '\tdefault Q',
      'config P',
      '\tbool "p"',
      'config Q',
      '\tbool "q"',
      'config R',
      '\tbool "r"',
      '\tdepends on NOPE',
      'endchoice',
      'config NOPE',
      '\tbool',
    ].join('\n');
    for (const dialect of ['legacy', 'members'] as const) {
      const picked = run(text, { P: 'y', Q: 'n' }, { dialect });
      expect([picked('P'), picked('Q'), picked('R')]).toEqual(['y', 'n', 'n']);
      const dflt = run(text, {}, { dialect });
      expect([dflt('P'), dflt('Q')]).toEqual(['n', 'y']);
      const invisible = run(text, { R: 'y' }, { dialect });
      expect(invisible('Q')).toBe('y');
    }
  });

  it('clamps int values to their range and takes int defaults from symbols', () => {
    const v = run('config N\n\tint "n"\n\trange 2 8\n\tdefault 4\nconfig M\n\tint\n\tdefault N\n', {
      N: '20',
    });
    expect([v('N'), v('M')]).toEqual(['8', '8']);
  });

  it('reads toolchain probes back from the .config instead of guessing', () => {
    const text =
      'config CC_HAS_X\n\tdef_bool $(shell,true)\nconfig USE_X\n\tdef_bool y\n\tdepends on CC_HAS_X\n';
    expect(run(text, { CC_HAS_X: 'y' })('USE_X')).toBe('y');
    expect(run(text, {})('USE_X')).toBe('n');
  });
});
