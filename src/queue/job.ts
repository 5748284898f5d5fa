// What travels through Redis, as zod schemas checked on arrival: the job a coordinator adds
// (a cell spec and limits: never a command), the progress a worker reports, and the result it
// returns. Whoever can write to Redis can plant a job; a worker runs only what CellSchema
// accepts, and only when the cell's id matches its content.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { cellId, cellIdentity, type Cell } from '../matrix/cell.js';
import { isLabel, type CellResources } from '../matrix/resources.js';
import { CellSchema } from '../matrix/schema.js';
import { CELL_STATUSES, type CellResult } from '../results/result.js';
import { jobIdOf, RUN_ID } from './keys.js';

const ResourcesSchema = z.strictObject({
  cpus: z.number().int().min(1).max(1024),
  memBytes: z
    .number()
    .int()
    .min(1)
    .max(2 ** 50),
  labels: z.array(z.string().refine(isLabel)).max(64),
});

export const JobDataSchema = z.strictObject({
  v: z.literal(1),
  runId: z.string().regex(RUN_ID),
  cell: CellSchema,
  /** A `file:` base's text: the worker has no copy of the coordinator's file. */
  baseConfig: z
    .string()
    .max(4 * 2 ** 20)
    .optional(),
  /** The cell's time, config + build. */
  timeoutMs: z
    .number()
    .int()
    .min(1000)
    .max(7 * 24 * 3600_000),
  runtime: z.enum(['auto', 'docker', 'local']),
  /** How long the worker's lock lasts unless renewed (renewed every half of it). */
  lockMs: z.number().int().min(500).max(3600_000),
  /** Starts allowed in all, a worker dying under the cell included. */
  maxAttempts: z.number().int().min(1).max(6),
  /** Return kernel images too. */
  images: z.boolean(),
  resources: ResourcesSchema,
});

export type JobData = z.output<typeof JobDataSchema>;

export type JobCheck = { ok: true; data: JobData; cell: Cell } | { ok: false; reason: string };

/** The sha256 of a file base's text: part of the cell's identity (src/matrix/cell.ts). */
export function baseConfigHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A job as a worker receives it: the schema, its id, and the cell's id against its content. */
export function checkJob(jobId: string | undefined, raw: unknown): JobCheck {
  const r = JobDataSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(job)'}: ${i.message}`)
      .join('; ');
    return { ok: false, reason: `not a kmatrix cell job: ${first}` };
  }
  const data = r.data;
  const cell = data.cell as Cell;
  if (jobId !== jobIdOf(data.runId, cell.id))
    return { ok: false, reason: `job id ${jobId ?? '(none)'} is not <run>.<cell> of its data` };
  if (cell.base.kind === 'file' && data.baseConfig === undefined)
    return { ok: false, reason: 'a file base without its config text' };
  const hash = data.baseConfig !== undefined ? baseConfigHash(data.baseConfig) : undefined;
  if (cellId(cellIdentity(cell, hash)) !== cell.id)
    return { ok: false, reason: `cell ${cell.id}: the id does not match the cell's content` };
  return { ok: true, data, cell };
}

/** What a worker says while it works (job progress): the run's own events, tagged. */
export const ProgressSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('start'),
    worker: z.string().max(200),
    stage: z.enum(['config', 'build']),
    attempt: z.number().int().min(1),
  }),
  z.strictObject({
    type: z.literal('note'),
    worker: z.string().max(200),
    message: z.string().max(4000),
  }),
]);
export type Progress = z.output<typeof ProgressSchema>;

const DiagnosticSchema = z.looseObject({
  severity: z.enum(['error', 'warning']),
  kind: z.string(),
  file: z.string(),
  message: z.string(),
  fingerprint: z.string(),
});
const PinResultSchema = z.looseObject({
  symbol: z.string(),
  requested: z.string(),
  effective: z.string(),
  status: z.string(),
  origin: z.string(),
});
const relPath = z
  .string()
  .max(4096)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
    message: 'not a path inside the run directory',
  });

export const CellResultSchema = z.strictObject({
  cellId: z.string().regex(/^[0-9a-f]{12}$/),
  status: z.enum(CELL_STATUSES as unknown as [string, ...string[]]),
  reason: z.string().optional(),
  stage: z.enum(['config', 'build']),
  verdict: z.enum(['satisfied', 'unsatisfied']).nullable(),
  pins: z.array(PinResultSchema),
  diagnostics: z.array(DiagnosticSchema),
  counts: z.strictObject({ errors: z.number(), warnings: z.number() }),
  durationMs: z.number(),
  configMs: z.number(),
  buildMs: z.number(),
  workMs: z.number(),
  attempts: z.number().int().min(1),
  configHash: z.string().nullable(),
  dedupedFrom: z.string().nullable(),
  files: z.partialRecord(z.enum(['config', 'log', 'reproducer', 'result', 'diagnostics']), relPath),
  artifacts: z.array(relPath),
  finishedAt: z.string(),
  worker: z.string().optional(),
});

export const ReturnSchema = z.strictObject({
  v: z.literal(1),
  worker: z.string().max(200),
  attempt: z.number().int().min(1),
  result: CellResultSchema,
  /** Where the attempt left its files (null: nothing to return). */
  artifact: z
    .strictObject({
      key: z.string(),
      bytes: z.number().int().min(0),
      files: z.array(relPath),
    })
    .nullable(),
});
export type JobReturn = Omit<z.output<typeof ReturnSchema>, 'result'> & { result: CellResult };

export type ReturnCheck = { ok: true; value: JobReturn } | { ok: false; reason: string };

export function checkReturn(cellIdWanted: string, raw: unknown): ReturnCheck {
  const r = ReturnSchema.safeParse(raw);
  if (!r.success)
    return {
      ok: false,
      reason: `a worker returned something that is not a cell result: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`,
    };
  if (r.data.result.cellId !== cellIdWanted)
    return { ok: false, reason: `a worker returned cell ${r.data.result.cellId}'s result` };
  return { ok: true, value: r.data as unknown as JobReturn };
}

export interface JobPlacement {
  resources: CellResources;
  /** BullMQ priority: 1 goes first. */
  priority: number;
}
