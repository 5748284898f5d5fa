// A config-bisect as a user reads it: a progress line per test on stderr, then the minimal
// change and what olddefconfig changes with it.
import type { ConfigBisectEvent, ConfigBisectResult } from '../bisect/config-bisect.js';
import { unreachable } from '../core/errors.js';

export function configBisectEventLine(e: ConfigBisectEvent): string {
  switch (e.type) {
    case 'cbisect:endpoint':
      return `${e.which} config: ${e.verdict} (${e.why})`;
    case 'cbisect:diff':
      return `${e.symbols} differing symbol(s) to minimize${e.excluded.length ? ` (not counting required ${e.excluded.join(', ')})` : ''}`;
    case 'cbisect:test':
      return `test ${e.n}: ${e.size} change(s) -> ${e.verdict}${e.cached ? ' (same config as an earlier test)' : ''}: ${e.why}`;
    default:
      return unreachable(e);
  }
}

export function renderConfigBisect(r: ConfigBisectResult): string {
  const out: string[] = [];
  const stats = `${r.tests} test(s), ${r.configRuns} olddefconfig run(s), ${(r.durationMs / 1000).toFixed(1)}s`;
  switch (r.kind) {
    case 'found':
      out.push(
        `minimal change: ${r.minimal.length} symbol(s) of ${r.differing} differing (${stats})`,
      );
      for (const c of r.minimal) out.push(`  ${c.symbol.padEnd(28)} ${c.good} -> ${c.bad}`);
      if (r.consequences.length) {
        out.push(`olddefconfig then also changes:`);
        for (const c of r.consequences.slice(0, 30))
          out.push(`  ${c.symbol.padEnd(28)} ${c.good} -> ${c.bad}`);
        if (r.consequences.length > 30) out.push(`  ... ${r.consequences.length - 30} more`);
      }
      out.push(
        `result: ${r.outcome.verdict === 'fail' ? 'bad' : r.outcome.verdict}: ${r.outcome.why}`,
      );
      break;
    case 'endpoints':
      out.push('the configs do not bracket a regression:');
      for (const p of r.problems) out.push(`  ${p}`);
      break;
    case 'not-reproduced':
      out.push(`not reproduced: ${r.why} (${stats})`);
      break;
    default:
      unreachable(r);
  }
  return out.join('\n') + '\n';
}
