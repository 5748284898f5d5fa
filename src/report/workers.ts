// Queue workers as people read them: `kmatrix workers` (who is connected, capacity, what each
// runs, the queues), and a worker's own progress lines on stderr.
import type { Writable } from 'node:stream';
import { unreachable } from '../core/errors.js';
import { describeResources, formatSize } from '../matrix/resources.js';
import type { WorkerEvent, WorkerInfo } from '../queue/events.js';
import { formatDuration } from './run-progress.js';

export interface FarmView {
  redis: string;
  workers: readonly WorkerInfo[];
  queues: readonly {
    shape: string;
    resources: { cpus: number; memBytes: number; labels: string[] };
    waiting: number;
    active: number;
    delayed: number;
    failed: number;
  }[];
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderFarm(f: FarmView, now = Date.now()): string {
  const out: string[] = [`queue: ${f.redis}`];
  if (f.workers.length === 0)
    out.push('no worker is connected (start one: kmatrix worker --redis URL)');
  else {
    const rows = [['WORKER', 'HOST', 'CPUS', 'MEM', 'FREE', 'LABELS', 'RUNNING']];
    for (const w of f.workers)
      rows.push([
        w.name,
        `${w.host}:${w.pid}`,
        String(w.cpus),
        formatSize(w.memBytes),
        `${w.free.cpus} cpu, ${formatSize(Math.max(0, w.free.memBytes))}`,
        w.labels.join(' ') || '-',
        w.running.length === 0
          ? 'idle'
          : w.running
              .map(
                (r) =>
                  `${r.jobId} (${r.label}, attempt ${r.attempt}, ${formatDuration(now - Date.parse(r.startedAt))})`,
              )
              .join('; '),
      ]);
    out.push(table(rows));
  }
  if (f.queues.length) {
    const rows = [['QUEUE', 'NEEDS', 'WAITING', 'RUNNING', 'RETRYING', 'FAILED']];
    for (const q of f.queues)
      rows.push([
        q.shape,
        describeResources(q.resources),
        String(q.waiting),
        String(q.active),
        String(q.delayed),
        String(q.failed),
      ]);
    out.push('', table(rows));
  }
  return out.join('\n') + '\n';
}

export function workerEventLine(e: WorkerEvent): string {
  switch (e.type) {
    case 'worker:start':
      return `worker ${e.name} on ${e.host} (pid ${e.pid}): ${describeResources({ cpus: e.cpus, memBytes: e.memBytes, labels: e.labels })}; queue ${e.redis}`;
    case 'worker:reaped':
      return `an earlier worker of this name${e.previousPid ? ` (pid ${e.previousPid})` : ''} left ${e.containers.length} container(s); removed${e.containers.length ? `: ${e.containers.join(', ')}` : ''}`;
    case 'worker:note':
      return e.message;
    case 'job:start':
      return `${e.jobId}: ${e.label}, attempt ${e.attempt} (${describeResources(e.resources)})`;
    case 'job:done':
      return `${e.jobId}: ${e.status} in ${formatDuration(e.ms)}; returned ${e.files} file(s), ${formatSize(Math.max(1, e.bytes))}`;
    case 'job:retry':
      return `${e.jobId}: attempt ${e.attempt} handed back to the queue: ${e.reason.split('\n')[0]}`;
    case 'job:rejected':
      return `${e.jobId}: attempt ${e.attempt} rejected, nothing kept: ${e.reason.split('\n')[0]}`;
    case 'job:refused':
      return `${e.jobId}: refused: ${e.reason}`;
    case 'worker:stop':
      return `stopped (${e.reason})`;
    default:
      return unreachable(e);
  }
}

/** Lines on stderr, and with --json every event as one JSON line on stdout. */
export function workerReporter(
  stderr: Writable,
  stdout: Writable | undefined,
): (e: WorkerEvent) => void {
  return (e) => {
    stderr.write(`kmatrix worker: ${workerEventLine(e)}\n`);
    stdout?.write(JSON.stringify({ t: new Date().toISOString(), ...e }) + '\n');
  };
}
