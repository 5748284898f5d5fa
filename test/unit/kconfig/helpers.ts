// In-memory Kconfig trees for the unit tests.
import { KconfigModel, type ChoiceDialect } from '../../../src/kconfig/model.js';
import { parseKconfig, type SourceReader } from '../../../src/kconfig/parser.js';

export function memReader(files: Record<string, string>): SourceReader {
  return {
    readFile: (p) => files[p],
    glob: (pattern) => {
      const re = new RegExp(
        '^' + pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '$',
      );
      return Object.keys(files)
        .filter((f) => re.test(f))
        .sort();
    },
  };
}

/** Model of a single Kconfig text (plus extra files), with MODULES declared unless told not to. */
export function model(
  text: string,
  opts: {
    files?: Record<string, string>;
    dialect?: ChoiceDialect;
    env?: Record<string, string>;
    modules?: boolean;
  } = {},
): KconfigModel {
  const prelude = opts.modules === false ? '' : 'config MODULES\n\tbool "modules"\n\tmodules\n';
  const files = { Kconfig: prelude + text, ...opts.files };
  const parsed = parseKconfig({
    reader: memReader(files),
    env: { SRCARCH: 'x86', ARCH: 'x86_64', ...opts.env },
  });
  return new KconfigModel(parsed, opts.dialect ?? 'members');
}
