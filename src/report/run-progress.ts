// Live progress of a matrix run. On a TTY: one status line redrawn in place (done, running,
// failed, elapsed, ETA), with a line printed above it for each cell that did not pass. Not
// on a TTY: one plain line per event that matters. Also an NDJSON event log (--events).
import type { Writable } from 'node:stream';
import type { RunEvent } from '../results/events.js';

export interface RunReporter {
  emit(e: RunEvent): void;
  close(): void;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

interface Counts {
  total: number;
  done: number;
  failed: number;
  running: Set<string>;
  started: number;
  ran: number;
}

function statusLine(c: Counts, now: number): string {
  const elapsed = now - c.started;
  const left = c.total - c.done;
  let eta = '?';
  if (left === 0) eta = '0s';
  // Throughput so far (cells finished by this process per elapsed time) covers any mix of
  // config stages and builds at their own parallelism.
  else if (c.ran > 0) eta = formatDuration((elapsed / c.ran) * left);
  return `kmatrix: [${c.done}/${c.total}] running ${c.running.size}, failed ${c.failed}, elapsed ${formatDuration(elapsed)}, ETA ${eta}`;
}

function eventLine(e: RunEvent): string | undefined {
  switch (e.type) {
    case 'run:start':
      return `run ${e.runId}: ${e.toRun} of ${e.total} cells to run${e.resumed ? ' (resumed)' : ''}; ${e.queue ? `through the queue at ${e.queue} (kmatrix workers run them)` : `${e.configJobs} config stage(s) at once, then ${e.buildJobs} build(s) x make -j${e.makeJobs}`}; ${e.runDir}`;
    case 'run:note':
      return e.message;
    case 'cell:skip':
      return undefined;
    case 'cell:start':
      return undefined;
    case 'cell:retry':
      return `${e.cell.label} [${e.cell.id}]: ${e.stage} attempt ${e.attempt} hit an infrastructure error, retrying: ${e.reason.split('\n')[0]}`;
    case 'cell:done':
      return `${e.cell.label} [${e.cell.id}]: ${e.status}${e.dedupedFrom ? ` (same config as ${e.dedupedFrom}, built once)` : ''} ${formatDuration(e.ms)}${e.reason && e.status !== 'pass' ? `: ${e.reason.split('\n')[0]}` : ''}`;
    case 'run:interrupted':
      return `stopped (${e.reason}); finished cells are kept: continue with kmatrix run --resume`;
    case 'run:done':
      return undefined;
    case 'triage:start':
      return `triage: ${e.failures} new failure(s), ${e.distinct} distinct, ${e.todo} to triage now`;
    case 'triage:step':
      return `triage ${e.cell.label} [${e.cell.id}]: ${e.message}`;
    case 'triage:done':
      return `triage ${e.cell.label} [${e.cell.id}]: ${e.status}${e.culprit ? `, culprit ${e.culprit.slice(0, 12)} (${e.verification})` : ''} ${formatDuration(e.ms)}${e.reason ? `: ${e.reason.split('\n')[0]}` : ''}`;
    case 'triage:end':
      return e.complete
        ? undefined
        : `triage stopped before it finished; continue with kmatrix triage ${e.runId}`;
  }
}

export function runReporter(
  stream: Writable & { isTTY?: boolean },
  opts: { tty?: boolean; now?: () => number } = {},
): RunReporter {
  const tty = opts.tty ?? stream.isTTY === true;
  const now = opts.now ?? Date.now;
  const c: Counts = {
    total: 0,
    done: 0,
    failed: 0,
    running: new Set(),
    started: now(),
    ran: 0,
  };
  let drawn = false;
  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = () => {
    if (!tty) return;
    clear();
    stream.write(statusLine(c, now()));
    drawn = true;
  };
  const timer = tty ? setInterval(draw, 1000) : undefined;
  timer?.unref();
  return {
    emit(e) {
      switch (e.type) {
        case 'run:start':
          c.total = e.total;
          c.started = now();
          break;
        case 'cell:skip':
          c.done++;
          break;
        case 'cell:start':
          c.running.add(e.cell.id);
          break;
        case 'cell:done':
          c.running.delete(e.cell.id);
          c.done++;
          c.ran++;
          if (e.status !== 'pass') c.failed++;
          break;
        default:
          break;
      }
      const line = eventLine(e);
      // On a TTY, passing cells only move the status line.
      const show = line !== undefined && (!tty || e.type !== 'cell:done' || e.status !== 'pass');
      if (show) {
        clear();
        stream.write(`kmatrix: ${line}\n`);
      }
      if (e.type === 'run:done') {
        clear();
        if (timer) clearInterval(timer);
      } else draw();
    },
    close() {
      if (timer) clearInterval(timer);
      clear();
    },
  };
}

/** --events FILE: every event as one JSON line, with a timestamp. */
export function ndjsonReporter(write: (line: string) => void): RunReporter {
  return {
    emit: (e) => write(JSON.stringify({ t: new Date().toISOString(), ...e }) + '\n'),
    close: () => {},
  };
}
