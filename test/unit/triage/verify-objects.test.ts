// Two small pieces of triage on their own: the verification status from the three rebuilds,
// and the runtime that turns a kernel-image make into an object-only one.
import { describe, expect, it } from 'vitest';
import type {
  RunCommand,
  RunOutcome,
  Runtime,
  RuntimeInfo,
  Workspace,
} from '../../../src/runtime/runtime.js';
import type { VerifyStep } from '../../../src/results/triage.js';
import { ObjectGoalRuntime } from '../../../src/triage/objects.js';
import { verificationOf } from '../../../src/triage/verify.js';

const step = (what: VerifyStep['what'], got: VerifyStep['got']): VerifyStep => ({
  what,
  commit: 'c',
  expected: what === 'culprit' ? 'bad' : 'good',
  got,
  why: '',
  ms: 0,
});

describe('verificationOf', () => {
  it('names a culprit only when it rebuilt bad and its parent good', () => {
    expect(
      verificationOf([step('culprit', 'bad'), step('parent', 'good'), step('revert', 'good')]),
    ).toBe('revert-fixes');
    expect(
      verificationOf([
        step('culprit', 'bad'),
        step('parent', 'good'),
        step('revert', 'does-not-apply'),
      ]),
    ).toBe('confirmed');
    expect(
      verificationOf([step('culprit', 'bad'), step('parent', 'good'), step('revert', 'bad')]),
    ).toBe('confirmed');
    expect(verificationOf([step('culprit', 'good'), step('parent', 'good')])).toBe('unconfirmed');
    expect(verificationOf([step('culprit', 'bad'), step('parent', 'skip')])).toBe('unconfirmed');
    expect(verificationOf([])).toBe('not-run');
  });
});

class Recording implements Runtime {
  readonly info: RuntimeInfo = { kind: 'local' };
  readonly ran: string[][] = [];
  paths(ws: Workspace) {
    return { ...ws };
  }
  run(_ws: Workspace, cmd: RunCommand): Promise<RunOutcome> {
    this.ran.push([...cmd.argv]);
    return Promise.resolve({ kind: 'pass', durationMs: 0, output: '' });
  }
  reproduce(_ws: Workspace, cmd: Pick<RunCommand, 'argv'>) {
    return cmd.argv.join(' ');
  }
}

describe('ObjectGoalRuntime', () => {
  it('builds the objects instead of the image, and leaves every other command alone', async () => {
    const inner = new Recording();
    const rt = new ObjectGoalRuntime(inner, 'zImage', ['arch/arm/kernel/crash_dump.o']);
    const ws = { source: '/src', out: '/out' };
    await rt.run(ws, { argv: ['arm-linux-gnueabi-gcc', '--version'] });
    await rt.run(ws, { argv: ['make', '-C', '/src', 'O=/out', 'ARCH=arm', '-j2', 'zImage'] });
    await rt.run(ws, { argv: ['make', '-C', '/src', 'O=/out', 'modules'] });
    expect(inner.ran).toEqual([
      ['arm-linux-gnueabi-gcc', '--version'],
      ['make', '-C', '/src', 'O=/out', 'ARCH=arm', '-j2', 'arch/arm/kernel/crash_dump.o'],
      ['make', '-C', '/src', 'O=/out', 'modules'],
    ]);
    expect(rt.reproduce(ws, { argv: ['make', 'O=/out', 'zImage'] })).toBe(
      'make O=/out arch/arm/kernel/crash_dump.o',
    );
  });
});
