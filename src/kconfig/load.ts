// The file-system edge of the Kconfig model: a SourceReader over a real tree, the
// dialect check, and the cheap all-arch scan for `config SYM` lines.
import { readFileSync, readdirSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import { KconfigModel, type ChoiceDialect } from './model.js';
import { parseKconfig, type SourceReader } from './parser.js';

export interface LoadOptions {
  srcTree: string;
  arch: Arch;
  /** Extra or overriding environment for $(VAR) references (CC, LD, CROSS_COMPILE_COMPAT...). */
  env?: Record<string, string>;
}

export function treeReader(srcTree: string): SourceReader {
  return {
    readFile(path) {
      try {
        return readFileSync(join(srcTree, path), 'utf8');
      } catch {
        return undefined;
      }
    },
    glob(pattern) {
      return globSync(srcTree, pattern);
    },
  };
}

/** The environment Kconfig sees for an arch: SRCARCH/ARCH from the Arch, srctree as the root. */
export function kconfigEnv(arch: Arch, env: Record<string, string> = {}): Record<string, string> {
  return { ARCH: arch.arch, SRCARCH: arch.srcarch, srctree: '.', ...env };
}

/** 6.11 reworked choices (choice_link in symbol.c); older trees keep tristate choices. */
function detectDialect(reader: SourceReader): ChoiceDialect {
  const symbolC = reader.readFile('scripts/kconfig/symbol.c');
  return symbolC !== undefined && symbolC.includes('choice_link') ? 'members' : 'legacy';
}

export function loadKconfigModelSync(opts: LoadOptions): KconfigModel {
  const reader = treeReader(opts.srcTree);
  const parsed = parseKconfig({ reader, env: kconfigEnv(opts.arch, opts.env) });
  return new KconfigModel(parsed, detectDialect(reader));
}

export async function loadKconfigModel(opts: LoadOptions): Promise<KconfigModel> {
  return loadKconfigModelSync(opts);
}

export interface DefinitionSite {
  file: string;
  line: number;
  /** The arch directory the file lives under (arch/<arch>/...), if any. */
  arch?: string;
}

/** Every `config SYM` / `menuconfig SYM` line in any Kconfig file of the tree. */
export async function findDefinitionsAllArches(
  srcTree: string,
  symbol: string,
): Promise<DefinitionSite[]> {
  const files = await kconfigFiles(srcTree);
  const re = new RegExp(
    `^[ \\t]*(?:menu)?config[ \\t]+${symbol.replace(/[^A-Za-z0-9_]/g, '')}[ \\t]*(?:#.*)?$`,
    'gm',
  );
  const out: DefinitionSite[] = [];
  await Promise.all(
    files.map(async (file) => {
      const text = await readFile(join(srcTree, file), 'utf8');
      if (!text.includes(symbol)) return;
      for (const m of text.matchAll(re)) {
        const line = text.slice(0, m.index).split('\n').length;
        const arch = /^arch\/([^/]+)\//.exec(file)?.[1];
        out.push(arch ? { file, line, arch } : { file, line });
      }
    }),
  );
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

async function kconfigFiles(srcTree: string): Promise<string[]> {
  const entries = await readdir(srcTree, { recursive: true, withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    if (!e.isFile() || !e.name.startsWith('Kconfig')) continue;
    const dir = (e.parentPath ?? (e as unknown as { path: string }).path)
      .slice(srcTree.length)
      .replace(/^\/+/, '');
    if (
      dir.startsWith('Documentation') ||
      dir.startsWith('scripts/kconfig/tests') ||
      dir.startsWith('tools/')
    )
      continue;
    out.push(dir ? `${dir}/${e.name}` : e.name);
  }
  return out;
}

function globSync(root: string, pattern: string): string[] {
  let current = [''];
  for (const seg of pattern.split('/').filter((s) => s !== '')) {
    const next: string[] = [];
    if (!/[*?[]/.test(seg)) {
      for (const c of current) next.push(c ? `${c}/${seg}` : seg);
    } else {
      const re = new RegExp(
        '^' +
          seg
            .replace(/[.+^${}()|\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]') +
          '$',
      );
      for (const c of current) {
        let names: string[];
        try {
          names = readdirSync(join(root, c));
        } catch {
          continue;
        }
        for (const name of names.sort()) if (re.test(name)) next.push(c ? `${c}/${name}` : name);
      }
    }
    current = next;
  }
  return current.filter((p) => {
    try {
      readFileSync(join(root, p), { flag: 'r' });
      return true;
    } catch {
      return false;
    }
  });
}
