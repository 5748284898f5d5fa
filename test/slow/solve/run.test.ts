// `solve: true` through `kmatrix run`, as a user runs it: the built CLI on the Debian 6.12
// tree (as debian:6.12, so the made tinyconfig is shared through the cache with kmatrix
// config and the other solve tests), config-only tinyconfig cells (the solver's answer is
// checked by conf; a build would prove nothing more). x86_64 gets the extra pin and passes where the same pins without solve
// end config-unsatisfied; arm ends config-unsatisfied with the proof's line and file. The two
// x86_64 solve cells share the run's conf session for 6.12 x86_64 tinyconfig.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../src/report/run-summary.js';
import { kmatrix } from '../../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kmatrix-run-solve-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kmatrix run with solve: true', () => {
  it('adds the extra pins it found, or ends the cell with the proof', async () => {
    await writeFile(
      join(dir, 'matrix.yaml'),
      `name: solve
sources: [debian:6.12]
architectures: [arm, x86_64]
runtime: local
configs:
  - name: crash-no-kexec
    base: tinyconfig
    pins: [CRASH_DUMP=y, KEXEC=n]
    build: false
    solve: true
  - name: kexec-file
    base: tinyconfig
    pins: [KEXEC_FILE=y]
    build: false
    solve: true
  - name: as-written
    base: tinyconfig
    pins: [CRASH_DUMP=y, KEXEC=n]
    build: false
exclude:
  - {config: as-written, arch: arm}
  - {config: kexec-file, arch: arm}
`,
    );
    const r = await kmatrix(dir, ['run', '--json', '--results', 'res']);
    expect(r.exitCode, r.stderr).toBe(1);
    const summary = JSON.parse(r.stdout) as RunSummary;
    const cell = (config: string, arch: string) =>
      summary.cells.find((c) => c.config === config && c.arch === arch)!;
    const file = (rel: string) => readFile(join(summary.runDir, rel), 'utf8');

    const asWritten = cell('as-written', 'x86_64');
    expect([asWritten.status, asWritten.solve]).toEqual(['config-unsatisfied', null]);

    const x86 = cell('crash-no-kexec', 'x86_64');
    expect(x86.status).toBe('pass');
    expect(x86.solve).toMatchObject({ verdict: 'satisfiable', extra: ['KEXEC_FILE=y'] });
    expect(x86.pins.map((p) => `${p.symbol}=${p.effective} ${p.status} ${p.origin}`)).toEqual([
      'CRASH_DUMP=y holds matrix config crash-no-kexec',
      'KEXEC=n holds matrix config crash-no-kexec',
      'KEXEC_FILE=y holds solve',
    ]);
    const config = await file(x86.files.config!);
    expect(config).toMatch(/^CONFIG_CRASH_DUMP=y$/m);
    expect(config).toMatch(/^CONFIG_KEXEC_FILE=y$/m);
    expect(config).toMatch(/^# CONFIG_KEXEC is not set$/m);
    expect(await file(x86.files.reproducer!)).toContain(
      '--set CRASH_DUMP=y --set KEXEC=n --set KEXEC_FILE=y',
    );
    expect(await file(x86.files.solve!)).toContain('SATISFIABLE');

    // a second solve: true cell of the same tree, arch and base (the run's one conf session)
    const kexecFile = cell('kexec-file', 'x86_64');
    expect(kexecFile.status).toBe('pass');
    expect(kexecFile.pins.find((p) => p.symbol === 'KEXEC_FILE')).toMatchObject({
      effective: 'y',
      status: 'holds',
    });

    const arm = cell('crash-no-kexec', 'armhf');
    expect(arm.status).toBe('config-unsatisfied');
    expect(arm.solve?.verdict).toBe('unsatisfiable');
    expect(arm.reason).toMatch(
      /^kmatrix solve: no config of debian-6\.12 for armhf holds CRASH_DUMP=y KEXEC=n: .*CRASH_DUMP depends on KEXEC_CORE.* \(proof: cells\/[0-9a-f]{12}\/solve\.txt/,
    );
    const proof = await file(arm.files.solve!);
    expect(proof).toContain('debian-6.12 armhf: UNSATISFIABLE');
    expect(proof).toMatch(/CRASH_DUMP depends on KEXEC_CORE {2}\[kernel\/Kconfig\.kexec:\d+\]/);

    const md = await file('summary.md');
    expect(md).toContain(
      `SOLVE        debian:6.12 x86_64 crash-no-kexec gcc [${x86.id}]: extra pins from solve: KEXEC_FILE=y`,
    );
    expect(md).toContain(`[${arm.id}]: unsatisfiable, no extra pins can help: no config of`);
  });
});
