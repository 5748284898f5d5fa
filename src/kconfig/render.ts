// Text form of an explanation: an indented tree, one cause per line, file:line relative
// to the tree root, the way a kernel developer would write it in a mail.
import { unreachable } from '../core/errors.js';
import type { ExplanationNode, Reason } from './explain.js';

export function renderExplanation(root: ExplanationNode): string {
  const lines: string[] = [];
  const walk = (n: ExplanationNode, depth: number) => {
    const where = n.location ? `  [${n.location.file}:${n.location.line}]` : '';
    lines.push(`${'  '.repeat(depth)}${describe(n)}${where}`);
    for (const c of n.children) walk(c, depth + 1);
  };
  walk(root, 0);
  return lines.join('\n') + '\n';
}

function describe(n: ExplanationNode): string {
  const sv = `${n.symbol}=${n.value}`;
  const r: Reason = n.reason;
  switch (r.kind) {
    case 'holds':
      return `${sv}: holds (asked ${r.requested})`;
    case 'overridden':
      return `${sv}: overridden (asked ${r.requested})`;
    case 'dropped':
      return `${sv}: dropped (asked ${r.requested})`;
    case 'unavailable':
      return `${n.symbol}: unavailable (asked ${r.requested}): not defined for this arch`;
    case 'pinned':
      return `${sv}: pinned (asked ${r.requested})`;
    case 'selects':
      return `selected by ${sv}${r.condition ? ` if ${r.condition}` : ''}`;
    case 'implies':
      return `implied by ${sv}${r.condition ? ` if ${r.condition}` : ''}`;
    case 'default':
      return `${sv}: default ${r.expr}${r.condition ? ` if ${r.condition}` : ''}`;
    case 'set-in-config':
      return `${sv}: set in .config`;
    case 'not-settable':
      return r.why === 'no-prompt'
        ? `${n.symbol} has no prompt: only defaults and selects set it`
        : `${n.symbol}'s prompt is hidden: ${r.condition ?? 'y'} is not met`;
    case 'depends-on':
      return r.terms.length
        ? `${sv}: depends on ${r.terms.map((t) => `${t.text} [${t.value}]`).join(' && ')}`
        : `${sv}: depends on ${r.expr}`;
    case 'nothing-selects':
      if (r.capability)
        return `${sv}: arch capability missing: nothing selects ${n.symbol} on this arch`;
      return r.selectors.length
        ? `${sv}: no prompt can enable it and no active select: ${r.selectors.join(', ')}`
        : `${sv}: nothing can enable it on this arch (no prompt, no select)`;
    case 'undefined-here':
      return `${n.symbol}: not defined in this arch's Kconfig`;
    case 'comparison':
      return `${n.symbol} is false (${r.expr})`;
    case 'choice':
      return `${sv}: choice ${r.choice === '<choice>' ? '' : `${r.choice} `}picks ${r.selected ?? 'nothing'}`;
    case 'toolchain-probe':
      return `${sv}: decided by a toolchain probe ($(cc-option)...), read from .config`;
    case 'modules-disabled':
      return `${sv}: modules are disabled, so m becomes y`;
    case 'bool-type':
      return `${n.symbol} is bool: m becomes y`;
    case 'defined-at':
      return `defined ${r.arch ? `for arch ${r.arch}` : 'here'}`;
    case 'defined-nowhere':
      return `${n.symbol} is not defined in any Kconfig file of this tree`;
    case 'unmet-select':
      switch (r.state) {
        case 'unmet':
          return `${sv}: selected although its direct dependencies are unmet`;
        case 'met':
          return `${sv}: selected, and its direct dependencies are met`;
        case 'not-selected':
          return `${sv}: no active select forces it`;
        default:
          return unreachable(r.state);
      }
    case 'seen-above':
      return `${sv} (see above)`;
    case 'value':
      return `${sv}`;
    default:
      return unreachable(r);
  }
}
