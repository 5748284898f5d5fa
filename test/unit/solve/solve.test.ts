// kmatrix solve on small in-memory trees: one Kconfig construct per case, asserting the
// verdict, the extra pins and the conflict chain a user sees. "conf" is the model's evaluator.
import { describe, expect, it, vi } from 'vitest';
import type { ArchVerdict } from '../../../src/solve/result.js';
import { solveMem } from './helpers.js';

// every solve runs CaDiCaL/PicoSAT processes: allow for a busy machine
vi.setConfig({ testTimeout: 30_000 });

function extras(v: ArchVerdict): string[] {
  if (v.kind !== 'satisfiable') throw new Error(`expected satisfiable, got ${JSON.stringify(v)}`);
  return v.extra.map((e) => `${e.symbol}=${e.value}`);
}

function chains(v: ArchVerdict): string[][] {
  if (v.kind !== 'unsatisfiable')
    throw new Error(`expected unsatisfiable, got ${JSON.stringify(v)}`);
  return v.cores.map((c) =>
    c.chain.map((s) => s.text + (s.location ? ` @${s.location.line}` : '')),
  );
}

const BASE_N =
  'CONFIG_MODULES=y\n# CONFIG_A is not set\n# CONFIG_B is not set\n# CONFIG_C is not set\n';

describe('solve: depends on', () => {
  const tree = `
config A
	bool "a"
	depends on B
config B
	bool "b"
`;
  it('adds the missing dependency as an extra pin, checked by conf', async () => {
    const { result, conf } = await solveMem(tree, { pins: ['A=y'], base: BASE_N });
    expect(extras(result.verdict)).toEqual(['B=y']);
    expect(result.pins.map((p) => [p.symbol, p.effective, p.status, p.origin])).toEqual([
      ['A', 'y', 'holds', 'pin'],
      ['B', 'y', 'holds', 'extra'],
    ]);
    // one conf run: the answer, checked before it is reported
    expect(conf.calls.map((c) => c.map((p) => `${p.symbol}=${p.value}`))).toEqual([['A=y', 'B=y']]);
  });

  it('says "holds already" when no extra pin is needed', async () => {
    const { result } = await solveMem(tree, { pins: ['A=y'], base: 'CONFIG_B=y\n' });
    expect(result.verdict.kind).toBe('holds');
  });

  it('proves a dependency nothing can satisfy, with the depends-on line', async () => {
    const { result } = await solveMem(
      `
config A
	bool "a"
	depends on B && C
config B
	bool
config C
	bool "c"
`,
      { pins: ['A=y'] },
    );
    expect(chains(result.verdict)).toEqual([
      ['pinned A=y', 'A depends on B @7', 'B has no prompt: only defaults and selects set it @8'],
    ]);
  });

  it('pin conflicts with a dependency of another pin', async () => {
    const { result } = await solveMem(tree, { pins: ['A=y', 'B=n'] });
    expect(chains(result.verdict)).toEqual([['pinned A=y', 'pinned B=n', 'A depends on B @7']]);
  });
});

describe('solve: select', () => {
  const tree = `
config A
	bool "a"
	select C
config C
	bool "c"
	depends on D
config D
	bool
`;
  it('a select sets a symbol whose dependencies are unmet', async () => {
    const { result } = await solveMem(tree, { pins: ['C=y'] });
    expect(extras(result.verdict)).toEqual(['A=y']);
  });

  it('a select cannot be undone: selected symbol pinned n', async () => {
    const { result } = await solveMem(tree, { pins: ['A=y', 'C=n'] });
    expect(chains(result.verdict)).toEqual([['pinned A=y', 'pinned C=n', 'A selects C @7']]);
  });
});

describe('solve: imply', () => {
  const tree = `
config A
	bool "a"
	imply B
config B
	bool
	depends on C
config C
	bool "c"
`;
  it('an imply sets a promptless symbol within its dependencies', async () => {
    const { result } = await solveMem(tree, { pins: ['B=y'], base: BASE_N });
    expect(extras(result.verdict)).toEqual(['A=y', 'C=y']);
  });

  it('an imply cannot set a symbol whose dependencies are unmet', async () => {
    const { result } = await solveMem(tree, { pins: ['B=y', 'C=n'] });
    expect(chains(result.verdict)).toEqual([['pinned B=y', 'pinned C=n', 'B depends on C @10']]);
  });
});

describe('solve: choices', () => {
  const tree = `
choice
	prompt "pick"
config X
	bool "x"
config Y
	bool "y"
	depends on E
endchoice
config E
	bool "e"
`;
  for (const dialect of ['members', 'legacy'] as const) {
    it(`${dialect}: two members cannot both be y`, async () => {
      const { result } = await solveMem(tree, { pins: ['X=y', 'Y=y'], dialect });
      const [chain] = chains(result.verdict);
      expect(chain).toContain(
        'choice at Kconfig:5: exactly one of X, Y is y when it is visible @5',
      );
    });

    it(`${dialect}: a member that needs a dependency gets it, and the pin moves the choice`, async () => {
      const { result } = await solveMem(tree, {
        pins: ['Y=y'],
        base: 'CONFIG_MODULES=y\nCONFIG_X=y\n# CONFIG_E is not set\n',
        dialect,
      });
      expect(extras(result.verdict)).toEqual(['E=y']);
    });
  }
});

describe('solve: m and MODULES', () => {
  const tree = `
config A
	tristate "a"
config B
	bool "b"
	depends on A
`;
  it('m needs MODULES=y: an extra pin turns it on', async () => {
    const { result } = await solveMem(tree, {
      pins: ['A=m'],
      base: '# CONFIG_MODULES is not set\n',
    });
    expect(extras(result.verdict)).toEqual(['MODULES=y']);
  });

  it('a bool cannot be m', async () => {
    const { result } = await solveMem(tree, { pins: ['B=m'] });
    expect(result.verdict.kind).toBe('unsatisfiable');
  });

  it('a bool depending on an m tristate is y (m rounds up): holds as asked', async () => {
    const { result } = await solveMem(tree, { pins: ['A=m', 'B=y'], base: BASE_N });
    expect(result.verdict.kind).toBe('holds');
    expect(result.pins.map((p) => `${p.symbol}=${p.effective}`)).toEqual(['A=m', 'B=y']);
  });
});

describe('solve: if blocks and visible if', () => {
  it('an if block is a dependency of everything inside, with its line', async () => {
    const { result } = await solveMem(
      `
config F
	bool
if F
config A
	bool "a"
endif
`,
      { pins: ['A=y'] },
    );
    expect(chains(result.verdict)).toEqual([
      [
        'pinned A=y',
        'everything inside "if F" depends on F @7',
        'F has no prompt: only defaults and selects set it @5',
      ],
    ]);
  });

  it("a menu's visible if hides prompts: the solver turns its condition on", async () => {
    const { result } = await solveMem(
      `
config V
	bool "v"
menu "m"
	visible if V
config A
	bool "a"
endmenu
`,
      { pins: ['A=y'], base: 'CONFIG_MODULES=y\n# CONFIG_V is not set\n' },
    );
    expect(extras(result.verdict)).toEqual(['V=y']);
  });
});

describe('solve: symbols not defined for the arch', () => {
  it('a pin on an undefined symbol is its own conflict', async () => {
    const { result } = await solveMem('config A\n\tbool "a"\n', { pins: ['A=y', 'ARM_ONLY=y'] });
    expect(chains(result.verdict)).toEqual([
      ['pinned ARM_ONLY=y', 'ARM_ONLY is not defined for x86_64 (always n)'],
    ]);
  });

  it('a dependency on an arch-only symbol', async () => {
    const { result } = await solveMem('config A\n\tbool "a"\n\tdepends on ARCH_HAS_X\n', {
      pins: ['A=y'],
    });
    expect(chains(result.verdict)).toEqual([
      [
        'pinned A=y',
        'A depends on ARCH_HAS_X @6',
        'ARCH_HAS_X is not defined for x86_64 (always n)',
      ],
    ]);
  });
});

describe('solve: options', () => {
  const tree = `
config A
	bool "a"
	depends on B || C
config B
	bool "b"
config C
	bool "c"
config D
	bool "d"
	default y
	depends on !C
`;
  it('--forbid steers the answer away from a value', async () => {
    const { result } = await solveMem(tree, { pins: ['A=y'], forbid: ['B=y'], base: BASE_N });
    expect(extras(result.verdict)).toEqual(['C=y']);
  });

  it('--keep-base refuses answers that switch off what the base has on', async () => {
    const base = 'CONFIG_MODULES=y\n# CONFIG_A is not set\n# CONFIG_B is not set\n';
    const free = await solveMem(tree, { pins: ['A=y'], forbid: ['B=y'], base });
    expect(extras(free.result.verdict)).toEqual(['C=y']);
    const kept = await solveMem(tree, { pins: ['A=y'], forbid: ['B=y'], base, keepBase: true });
    expect(chains(kept.result.verdict)[0]).toContain('--keep-base: D stays y');
  });

  it('--max-extra bounds the search: no answer is undecided, not a proof', async () => {
    const { result } = await solveMem(tree, { pins: ['A=y'], base: BASE_N, maxExtra: 0 });
    expect(result.verdict).toEqual({
      kind: 'undecided',
      reason: 'no answer with at most 0 extra pin(s) (raise --max-extra)',
    });
  });
});

describe('solve: the CRASH_DUMP/KEXEC question on an arm-like tree', () => {
  const tree = `
config KEXEC_CORE
	bool
config KEXEC
	bool "kexec"
	depends on ARCH_SUPPORTS_KEXEC
	select KEXEC_CORE
config KEXEC_FILE
	bool "kexec file"
	depends on ARCH_SUPPORTS_KEXEC_FILE
	select KEXEC_CORE
config CRASH_DUMP
	bool "crash dump"
	depends on KEXEC_CORE
config ARCH_SUPPORTS_KEXEC
	def_bool y
`;
  it('two conflicts, each a chain from the pins down to the missing arch support', async () => {
    const { result } = await solveMem(tree, {
      pins: ['CRASH_DUMP=y', 'KEXEC=n', 'KEXEC_FILE=y'],
    });
    expect(chains(result.verdict)).toEqual([
      [
        'pinned KEXEC_FILE=y',
        'KEXEC_FILE depends on ARCH_SUPPORTS_KEXEC_FILE @13',
        'ARCH_SUPPORTS_KEXEC_FILE is not defined for x86_64 (always n)',
      ],
      [
        'pinned CRASH_DUMP=y',
        'pinned KEXEC=n',
        'CRASH_DUMP depends on KEXEC_CORE @17',
        'KEXEC_CORE has no prompt: only defaults and selects set it @5',
        'KEXEC selects KEXEC_CORE @10',
        'KEXEC_FILE selects KEXEC_CORE @14',
        'KEXEC_FILE depends on ARCH_SUPPORTS_KEXEC_FILE @13',
        'ARCH_SUPPORTS_KEXEC_FILE is not defined for x86_64 (always n)',
      ],
    ]);
    if (result.verdict.kind !== 'unsatisfiable') throw new Error('unreachable');
    expect(result.verdict.cores.map((c) => [c.pins, c.confirmedByConf])).toEqual([
      [['KEXEC_FILE=y'], true],
      [['CRASH_DUMP=y', 'KEXEC=n'], true],
    ]);
  });

  it('with KEXEC allowed, the fewest extra pin is KEXEC=y', async () => {
    const { result } = await solveMem(tree, { pins: ['CRASH_DUMP=y'], base: 'CONFIG_MODULES=y\n' });
    expect(extras(result.verdict)).toEqual(['KEXEC=y']);
  });
});

describe('solve: recursive dependencies', () => {
  it('claims neither an answer nor a proof that conf does not back', async () => {
    const { result, events } = await solveMem(
      `
config A
	bool "a"
	depends on B
config B
	bool "b"
	depends on A
`,
      { pins: ['A=y'], base: BASE_N },
    );
    // the formula allows A=y B=y; conf never gets there (each reads the other as n)
    expect(result.verdict.kind).toBe('undecided');
    expect(events.filter((e) => e.type === 'solve:refuted').length).toBeGreaterThan(0);
  });
});

describe('solve: comparisons', () => {
  it('two constants are compared, not guessed: an expanded $(ARCH) hides a prompt for good', async () => {
    const { result } = await solveMem(
      `
config BITS64
	bool "64-bit kernel" if "$(ARCH)" = "x86"
	default y
config X86_32
	def_bool y
	depends on !BITS64
`,
      { pins: ['X86_32=y'] },
    );
    expect(chains(result.verdict)).toEqual([
      [
        'pinned X86_32=y',
        'X86_32 depends on !BITS64 @10',
        'BITS64 can only be set when "x86_64" = "x86" @6',
        'BITS64 defaults to y @7',
      ],
    ]);
  });
});
