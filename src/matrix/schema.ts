// The matrix file's shape as a zod schema: the one definition behind validation messages
// and the JSON Schema editors use (schema/matrix.schema.json, kept in sync by a test).
import { z } from 'zod';
import { acceptedArchSpellings, findArch } from '../arch/arches.js';
import { BASE_NAMES } from '../config/base.js';
import { parsePin, ACCEPTED_VALUES } from '../config/pin.js';
import { BUILD_TARGETS, MAX_DURATION_MS, parseDuration } from '../build/targets.js';
import { TOOLCHAINS } from '../toolchain/toolchains.js';
import { isLabel, LABEL_ACCEPTED, parseSize, SIZE_ACCEPTED } from './resources.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_TEXT = 'letters, digits, ".", "_" and "-", starting with a letter or digit';

export const SOURCE_ACCEPTED = 'debian:MAJOR.MINOR (e.g. debian:6.1), git:PATH@REF, or a path';
const DURATION_ACCEPTED = 'a duration such as 90s, 30m or 2h';
const PROBABILITY_ACCEPTED = 'N, N:M or N:M:L with each number 0..100 (KCONFIG_PROBABILITY)';
const SEED_ACCEPTED = 'a whole number 0..4294967295 (KCONFIG_SEED)';

const sourceText = z
  .string()
  .min(1)
  .refine(
    (s) =>
      s.startsWith('debian:')
        ? /^debian:\d+\.\d+$/.test(s)
        : s.startsWith('git:')
          ? /^git:.+@.+$/.test(s)
          : s.trim() !== '',
    { message: `not a kernel source; accepted: ${SOURCE_ACCEPTED}` },
  )
  .describe(`Kernel source: ${SOURCE_ACCEPTED}. Relative paths are relative to the matrix file.`);

const archText = z
  .string()
  .refine((s) => findArch(s) !== undefined, {
    message: `unknown architecture; accepted: ${acceptedArchSpellings()}`,
  })
  .describe(`Architecture: ${acceptedArchSpellings()}`);

const toolchainText = z.enum(TOOLCHAINS as unknown as [string, ...string[]]);
const targetText = z.enum(BUILD_TARGETS as unknown as [string, ...string[]]);

const pinText = z
  .string()
  .superRefine((s, ctx) => {
    const r = parsePin(s, 'matrix');
    if (!r.ok)
      ctx.addIssue({
        code: 'custom',
        message: `not a pin; accepted: SYMBOL=VALUE with VALUE ${ACCEPTED_VALUES}, or "# CONFIG_SYMBOL is not set"`,
      });
  })
  .describe('A pin: SYMBOL=VALUE (CONFIG_ prefix optional), e.g. CRASH_DUMP=y');

const durationText = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(ms|s|m|h)?$/, {
    message: `not a duration; accepted: ${DURATION_ACCEPTED}`,
    // Not a duration at all: one problem, not also "not a usable duration".
    abort: true,
  })
  .refine(
    (s) => {
      try {
        parseDuration(s);
        return true;
      } catch {
        return false;
      }
    },
    {
      message: `not a usable duration; accepted: more than 0 and at most ${MAX_DURATION_MS / 3.6e6}h`,
    },
  )
  .describe(DURATION_ACCEPTED);

const seedNumber = z
  .number()
  .int({ message: `not a seed; accepted: ${SEED_ACCEPTED}` })
  .min(0, { message: `not a seed; accepted: ${SEED_ACCEPTED}` })
  .max(0xffffffff, { message: `not a seed; accepted: ${SEED_ACCEPTED}` });

const probabilityValue = z
  .union([z.string(), z.number()])
  .refine(
    (p) => {
      const t = String(p);
      return /^\d{1,3}(:\d{1,3}){0,2}$/.test(t) && t.split(':').every((n) => Number(n) <= 100);
    },
    { message: `not a probability; accepted: ${PROBABILITY_ACCEPTED}` },
  )
  .describe(PROBABILITY_ACCEPTED);

/** The bases kmatrix solve models (base + pins, then olddefconfig). */
const SOLVE_BASES: readonly string[] = ['defconfig', 'tinyconfig'];

const oneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]);

const baseText = z
  .string()
  .refine(
    (b) =>
      (BASE_NAMES as readonly string[]).includes(b) || b.startsWith('file:') || b.includes('/'),
    {
      message: `unknown base; accepted: ${BASE_NAMES.join(', ')}, or file:PATH`,
    },
  )
  .describe(`${BASE_NAMES.join(', ')}, or file:PATH (relative to the matrix file)`);

const sizeValue = z
  .union([z.string(), z.number()])
  .refine((v) => parseSize(v) !== undefined, { message: `not a size; accepted: ${SIZE_ACCEPTED}` })
  .describe(SIZE_ACCEPTED);

const labelText = z
  .string()
  .refine(isLabel, { message: `not a label; accepted: ${LABEL_ACCEPTED}` })
  .describe(`A worker label: ${LABEL_ACCEPTED}`);

const ResourcesSchema = z
  .strictObject({
    cpus: z
      .number()
      .int({ message: 'not a CPU count; accepted: a whole number 1..1024' })
      .min(1, { message: 'not a CPU count; accepted: a whole number 1..1024' })
      .max(1024, { message: 'not a CPU count; accepted: a whole number 1..1024' })
      .optional()
      .describe('CPUs a cell needs (its make -j); default 2 for builds, 1 for config-only cells'),
    mem: sizeValue
      .optional()
      .describe(`Memory a cell needs: ${SIZE_ACCEPTED}; default 2G for builds, 512M otherwise`),
    labels: z
      .array(labelText)
      .default([])
      .describe('Labels a worker must all have to take the cell (kmatrix worker --label)'),
  })
  .describe(
    'executor kind queue: what a worker must have free to take a cell of this config (ignored by the local executor)',
  );

const REDIS_URL_ACCEPTED =
  'redis://[:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), or unix:///PATH';

const ExecutorSchema = z
  .strictObject({
    kind: z
      .enum(['local', 'queue'])
      .default('local')
      .describe('local: this machine runs the cells; queue: kmatrix workers take them from Redis'),
    url: z
      .string()
      .regex(/^(redis|rediss|unix):\/\/\S+$/, {
        message: `not a Redis URL; accepted: ${REDIS_URL_ACCEPTED}`,
      })
      .optional()
      .describe(
        `The queue's Redis: ${REDIS_URL_ACCEPTED}; default $KMATRIX_REDIS_URL. Keep passwords out of this file: KMATRIX_REDIS_PASSWORD`,
      ),
    attempts: z
      .number()
      .int({ message: 'not a number of attempts; accepted: a whole number 1..6' })
      .min(1, { message: 'not a number of attempts; accepted: a whole number 1..6' })
      .max(6, { message: 'not a number of attempts; accepted: a whole number 1..6' })
      .optional()
      .describe(
        'How often a queued cell may be started in all, counting a worker that died under it (default: retries + 1)',
      ),
    lock_timeout: durationText
      .default('30s')
      .describe(
        `How long a worker that stopped answering keeps its cell before another may take it: ${DURATION_ACCEPTED}`,
      ),
    images: z
      .boolean()
      .default(false)
      .describe('Return kernel images from the workers too (default: logs, .config, results only)'),
  })
  .describe('Where the cells run (kmatrix run --executor and --redis override it)');

const ConfigSchema = z
  .strictObject({
    name: z
      .string()
      .regex(NAME, { message: `not a config name; accepted: ${NAME_TEXT}` })
      .describe('Name of this config in tables, filters and rules'),
    base: baseText,
    pins: z.array(pinText).default([]).describe('Symbols that must hold in the final .config'),
    fragments: z
      .array(z.string().min(1))
      .default([])
      .describe('Config fragment files (relative to the matrix file); verified like pins'),
    seeds: z
      .union([
        z
          .number()
          .int()
          .min(1, { message: 'a seed count must be at least 1' })
          .max(1000, { message: 'a seed count must be at most 1000' }),
        z.array(seedNumber).min(1),
      ])
      .optional()
      .describe('randconfig only: a count N (seeds 1..N) or a list of KCONFIG_SEED values'),
    probability: probabilityValue.optional().describe(`randconfig only: ${PROBABILITY_ACCEPTED}`),
    build: z
      .boolean()
      .default(true)
      .describe('false: generate and verify the config only; true: also build the targets'),
    targets: z
      .array(targetText)
      .min(1)
      .optional()
      .describe('Build targets for this config (default: the matrix targets)'),
    allow_unsatisfied: z
      .boolean()
      .default(false)
      .describe('Build even when a pin did not hold (the cell still reports it)'),
    resources: ResourcesSchema.optional(),
    priority: z
      .number()
      .int({ message: 'not a priority; accepted: a whole number -1000..1000' })
      .min(-1000, { message: 'not a priority; accepted: a whole number -1000..1000' })
      .max(1000, { message: 'not a priority; accepted: a whole number -1000..1000' })
      .default(0)
      .describe(
        'executor kind queue: higher goes first (default 0); within a priority, the cells that took longest last time go first',
      ),
    solve: z
      .boolean()
      .default(false)
      .describe(
        `Run kmatrix solve on the pins first: add the fewest extra pins that make them hold (recorded in the cell's result), or end the cell config-unsatisfied with the proof. Bases: ${SOLVE_BASES.join(', ')}, file:PATH`,
      ),
  })
  .superRefine((c, ctx) => {
    if (
      c.solve &&
      !SOLVE_BASES.includes(c.base) &&
      !c.base.startsWith('file:') &&
      !c.base.includes('/')
    )
      ctx.addIssue({
        code: 'custom',
        path: ['solve'],
        message: `solve only applies to base ${SOLVE_BASES.join(', ')} or file:PATH (base is ${c.base}: its pins reach conf through KCONFIG_ALLCONFIG, which solve does not model)`,
      });
    if (c.solve && c.pins.length === 0 && c.fragments.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['solve'],
        message: 'solve needs pins (or fragments) to solve for; this config has none',
      });
    if (c.base !== 'randconfig') {
      if (c.seeds !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['seeds'],
          message: `seeds only apply to base randconfig (base is ${c.base})`,
        });
      if (c.probability !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['probability'],
          message: `probability only applies to base randconfig (base is ${c.base})`,
        });
    }
  });

const RuleSchema = z
  .strictObject({
    source: oneOrMany(sourceText).optional(),
    arch: oneOrMany(archText).optional(),
    toolchain: oneOrMany(toolchainText).optional(),
    config: oneOrMany(z.string()).optional(),
  })
  .refine((r) => Object.keys(r).length > 0, {
    message:
      'an empty rule matches every cell; give at least one of source, arch, toolchain, config',
  })
  .describe('Cells matching every key given (each a value or a list of values)');

export const TriageSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Triage new failures after the run (kmatrix run --no-triage turns it off once)'),
    max_failures: z
      .number()
      .int()
      .min(0, { message: 'max_failures must be at least 0' })
      .max(1000, { message: 'max_failures must be at most 1000' })
      .default(10)
      .describe(
        'Distinct new failures triaged per run (same fingerprints, source and toolchain count once); the rest are skipped',
      ),
    timeout: durationText
      .default('2h')
      .describe(`Time for the whole triage stage: ${DURATION_ACCEPTED}`),
    verify: z
      .boolean()
      .default(true)
      .describe(
        'Rebuild the culprit (bad), its parent (good) and the revert on the new commit before naming it the cause',
      ),
    good_config: baseText
      .optional()
      .describe(
        'A passing config of the same source, arch and toolchain to minimize failures against: a base name (with the cell pins) or file:PATH (a full .config, relative to the matrix file)',
      ),
  })
  .describe('Triage of new failures: culprit commit, verification, smallest config, report');

export const MatrixSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z
    .string()
    .regex(NAME, { message: `not a matrix name; accepted: ${NAME_TEXT}` })
    .optional()
    .describe(
      'Identity of this matrix in the results store (runs are compared with the previous run of the same name); default: the file path',
    ),
  sources: z.array(sourceText).min(1).describe('Kernel sources'),
  architectures: z.array(archText).min(1).describe('Architectures'),
  toolchains: z
    .array(toolchainText)
    .min(1)
    .default(['gcc'])
    .describe(`Toolchains: ${TOOLCHAINS.join(', ')}`),
  targets: z
    .array(targetText)
    .min(1)
    .default(['kernel'])
    .describe(`Build targets of build cells: ${BUILD_TARGETS.join(', ')}`),
  runtime: z
    .enum(['auto', 'docker', 'local'])
    .default('auto')
    .describe(
      'Where builds run: docker, local (host toolchains), auto (docker when a daemon answers)',
    ),
  timeout: durationText.default('60m').describe(`Per-cell limit: ${DURATION_ACCEPTED}`),
  retries: z
    .number()
    .int()
    .min(0)
    .max(5)
    .default(2)
    .describe(
      'How often a cell that hit an infrastructure error is retried (compile errors never are)',
    ),
  executor: ExecutorSchema.default({
    kind: 'local',
    lock_timeout: '30s',
    images: false,
  }),
  configs: z
    .array(ConfigSchema)
    .min(1)
    .describe('Configs; each is crossed with sources x architectures x toolchains'),
  include: z
    .array(RuleSchema)
    .default([])
    .describe(
      'Cells added after exclusion: the cross product of each rule, keys left out taking every value of the matrix',
    ),
  exclude: z.array(RuleSchema).default([]).describe('Cells removed from the cross product'),
  triage: TriageSchema.prefault({}),
  retention: z
    .strictObject({
      keep_runs: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe(
          'After each run, keep the directories of the newest N runs of this matrix and remove older ones (the results store keeps their results)',
        ),
      cache_unused_days: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe(
          'After each run, remove cache entries (trees, Kconfig tools, base configs, downloaded packages) not used for N days',
        ),
    })
    .optional()
    .describe('What a nightly keeps on disk (kmatrix gc does the same by hand)'),
});

/**
 * Cross-references (unique config names, rules naming existing configs), checked on the raw
 * value so they are reported even when other parts of the file are invalid.
 */
export function crossReferenceIssues(
  raw: unknown,
): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  if (!raw || typeof raw !== 'object') return out;
  const m = raw as Record<string, unknown>;
  const names = new Map<string, number>();
  if (Array.isArray(m['configs']))
    m['configs'].forEach((c: unknown, i) => {
      const name = (c as Record<string, unknown> | null)?.['name'];
      if (typeof name !== 'string') return;
      const first = names.get(name);
      if (first !== undefined)
        out.push({
          path: ['configs', i, 'name'],
          message: `duplicate config name (also configs[${first}]); names must be unique`,
        });
      else names.set(name, i);
    });
  for (const key of ['include', 'exclude'] as const) {
    const rules = m[key];
    if (!Array.isArray(rules)) continue;
    rules.forEach((r: unknown, i) => {
      const cfg = (r as Record<string, unknown> | null)?.['config'];
      const check = (n: unknown, path: (string | number)[]) => {
        if (typeof n === 'string' && !names.has(n))
          out.push({
            path,
            message: `no config named ${JSON.stringify(n)}; accepted: ${[...names.keys()].join(', ')}`,
          });
      };
      if (Array.isArray(cfg)) cfg.forEach((n, j) => check(n, [key, i, 'config', j]));
      else check(cfg, [key, i, 'config']);
    });
  }
  return out;
}

export type MatrixFile = z.output<typeof MatrixSchema>;
export type MatrixConfig = z.output<typeof ConfigSchema>;
export type MatrixRule = z.output<typeof RuleSchema>;
export type MatrixTriage = z.output<typeof TriageSchema>;

/** The JSON Schema shipped as schema/matrix.schema.json (a test keeps the file in sync). */
export function matrixJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(MatrixSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    $id: 'https://kmatrix.dev/schema/matrix.schema.json',
    title: 'kmatrix matrix file (matrix.yaml)',
  };
}

const pinSpec = z
  .strictObject({
    symbol: z.string().regex(/^[A-Za-z0-9_]+$/, { message: 'not a Kconfig symbol' }),
    value: z.string().max(4096),
    origin: z.string().max(1024),
  })
  .refine((p) => parsePin(`${p.symbol}=${p.value}`, p.origin).ok, {
    message: `not a pin value; accepted: ${ACCEPTED_VALUES}`,
  });

const baseSpec = z.union([
  z.strictObject({
    kind: z.enum(['defconfig', 'allnoconfig', 'tinyconfig', 'allmodconfig', 'allyesconfig']),
  }),
  z.strictObject({
    kind: z.literal('randconfig'),
    seed: z.string().regex(/^(\d{1,10}|0x[0-9a-fA-F]{1,8})$/, { message: SEED_ACCEPTED }),
    probability: z
      .string()
      .regex(/^\d{1,3}(:\d{1,3}){0,2}$/, { message: PROBABILITY_ACCEPTED })
      .optional(),
  }),
  z.strictObject({ kind: z.literal('file'), path: z.string().min(1).max(4096) }),
]);

/**
 * One expanded cell (src/matrix/cell.ts), built from the same pieces as the matrix file's
 * schema: what a queue worker accepts as a job and nothing else, so a job planted in Redis
 * can only ask for a kernel config and build that a matrix file could have asked for.
 */
export const CellSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{12}$/, { message: 'not a cell id (12 hex digits)' }),
  source: sourceText,
  sourceResolved: sourceText,
  arch: archText.refine((a) => findArch(a)?.name === a, {
    message: 'not a canonical architecture name',
  }),
  toolchain: toolchainText,
  config: z.string().regex(NAME, { message: `not a config name; accepted: ${NAME_TEXT}` }),
  variant: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(@[0-9a-fA-Fx]+)?$/, {
    message: 'not a config variant (NAME or NAME@SEED)',
  }),
  base: baseSpec,
  pins: z.array(pinSpec).max(10_000),
  build: z.boolean(),
  targets: z.array(targetText).max(BUILD_TARGETS.length),
  allowUnsatisfied: z.boolean(),
});
