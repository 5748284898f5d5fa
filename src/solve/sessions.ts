// Conf sessions kept across solves: one O= dir (make <base>, one make olddefconfig, the shell
// cache) per tree, arch, toolchain and base, shared by every solve that asks for the same one
// (the solve: true cells of a run, the agreement sweep, the bench) instead of one per solve.
import type { Arch } from '../arch/arches.js';
import type { Base } from '../config/base.js';
import { KmatrixError } from '../core/errors.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import type { ConfChecker } from './conf.js';

export type OpenConf = (
  tree: KernelTree,
  arch: Arch,
  toolchain: ToolchainName,
  base: Base,
) => Promise<ConfChecker>;

export interface ConfSessions {
  /** The session for these, opened on first use (SolveDeps.sharedConf). */
  get: OpenConf;
  /** Sessions opened (or opening) now. */
  size: () => number;
  /** Closes every session (their O= dirs go); a get after this is an error. */
  close: () => Promise<void>;
}

export function confSessions(open: OpenConf): ConfSessions {
  const sessions = new Map<string, Promise<ConfChecker>>();
  let closed = false;
  return {
    get(tree, arch, toolchain, base) {
      if (closed) return Promise.reject(new Error('conf sessions: used after close'));
      const key = [tree.path, arch.name, toolchain, JSON.stringify(base)].join('\0');
      let s = sessions.get(key);
      if (!s) {
        s = open(tree, arch, toolchain, base);
        sessions.set(key, s);
        // a session that failed to open is not kept: the next solve tries again
        s.catch(() => {
          if (sessions.get(key) === s) sessions.delete(key);
        });
      }
      return s;
    },
    size: () => sessions.size,
    async close() {
      closed = true;
      const all = [...sessions.values()];
      sessions.clear();
      const opened = await Promise.allSettled(all);
      const closing = await Promise.allSettled(
        opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value.close()] : [])),
      );
      const failed = closing.find((c) => c.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/**
 * A shared session as one solve sees it: its own count of conf runs (the session's setup is
 * not this solve's), and a stopped solve stops waiting at once. A conf run already under way
 * finishes for the session (one conf run, about a second); nothing else is left behind.
 */
export function sessionView(conf: ConfChecker, signal: AbortSignal | undefined): ConfChecker {
  let runs = 0;
  return {
    baseText: conf.baseText,
    baseValues: conf.baseValues,
    resolve(pins) {
      runs++;
      return untilAborted(conf.resolve(pins), signal);
    },
    runs: () => runs,
    // the session outlives the solve: closing is the session owner's
    close: () => Promise.resolve(),
  };
}

/** `p`, or a rejection as soon as `signal` aborts (`p` goes on, its outcome ignored). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  const stopped = () => new KmatrixError('command-failed', 'cancelled: the solve was stopped');
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(stopped());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(stopped());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
