// The planted history of the triage tests: Debian 6.1 as the base commit of a bare repository,
// then ~30 small commits. Among them one Kconfig change that makes CRASH_DUMP select KEXEC on
// arm64 (a `KEXEC=n` pin stops holding, as Linux 6.6's 89cde455 did) and one build break in
// arch/arm/kernel/crash_dump.c that shows only with CRASH_DUMP=y and KEXEC=n. The rest touch
// docs, other arches and files no arm tinyconfig build compiles, or compiled files harmlessly.
import { appendTo, replaceIn, type PlannedCommit } from '../../helpers/history.js';

export const GUARDED =
  '\n#if defined(CONFIG_CRASH_DUMP) && !defined(CONFIG_KEXEC)\nint kmatrix_needs_kexec(void) { return kmatrix_kexec_only_symbol; }\n#endif\n';

const E1000 = 'drivers/net/ethernet/intel/e1000/e1000_main.c';

function filler(i: number): PlannedCommit {
  switch (i % 5) {
    case 0:
      return {
        message: `docs: note ${i}`,
        edits: appendTo('Documentation/kmatrix-note.txt', `note ${i}`),
      };
    case 1:
      return { message: `x86: comment ${i}`, edits: appendTo('arch/x86/Kconfig', `# x86 ${i}`) };
    case 2:
      return { message: `e1000: comment ${i}`, edits: appendTo(E1000, `/* kmatrix ${i} */`) };
    case 3:
      // Compiled by every arm build: a step after it rebuilds one file and relinks.
      return {
        message: `arm: setup comment ${i}`,
        edits: appendTo('arch/arm/kernel/setup.c', `/* kmatrix ${i} */`),
      };
    default:
      return { message: `mm: comment ${i}`, edits: appendTo('mm/Kconfig', `# kmatrix ${i}`) };
  }
}

export interface Planted {
  commits: PlannedCommit[];
  /** Indexes into the history's shas (0 is the base commit). */
  kconfig: number;
  build: number;
}

export function plantedCommits(n = 30, kconfigAt = 9, buildAt = 21): Planted {
  const commits: PlannedCommit[] = [];
  for (let i = 1; i <= n; i++) {
    if (i === kconfigAt)
      commits.push({
        message: 'arm64: kexec: CRASH_DUMP selects KEXEC',
        edits: replaceIn(
          'arch/arm64/Kconfig',
          'config CRASH_DUMP\n\tbool "Build kdump crash kernel"',
          'config CRASH_DUMP\n\tbool "Build kdump crash kernel"\n\tselect KEXEC',
        ),
      });
    else if (i === buildAt)
      commits.push({
        message: 'arm: crash_dump: use the kexec image (breaks CRASH_DUMP=y KEXEC=n)',
        edits: appendTo('arch/arm/kernel/crash_dump.c', GUARDED),
      });
    else commits.push(filler(i));
  }
  return { commits, kconfig: kconfigAt, build: buildAt };
}
