// The Kconfig-subset history shared by the config bisect tests: Linux 6.6's
// "CRASH_DUMP selects KEXEC" planted in arch/x86/Kconfig among commits that change other
// Kconfig files (x86 and other arches), non-Kconfig files, and one decoy that names KEXEC.
import {
  appendTo,
  createHistory,
  replaceIn,
  type History,
  type PlannedCommit,
} from '../../helpers/history.js';

export const CULPRIT_SUBJECT = 'x86/kexec: CRASH_DUMP selects KEXEC (as 89cde455 did in 6.6)';

export function configCommits(n = 30, culpritAt = 19): PlannedCommit[] {
  const out: PlannedCommit[] = [];
  for (let i = 0; i < n; i++) {
    if (i === culpritAt) {
      out.push({
        message: `${CULPRIT_SUBJECT}\n\nThe consolidation made CRASH_DUMP depend on KEXEC.`,
        edits: replaceIn(
          'arch/x86/Kconfig',
          'config CRASH_DUMP\n\tbool "kernel crash dumps"\n\tdepends on X86_64 || (X86_32 && HIGHMEM)\n',
          'config CRASH_DUMP\n\tbool "kernel crash dumps"\n\tdepends on X86_64 || (X86_32 && HIGHMEM)\n\tselect KEXEC\n',
        ),
      });
      continue;
    }
    switch (i % 5) {
      case 0:
        out.push({
          message: `docs: note ${i}`,
          edits: appendTo(`Documentation/kmatrix-notes-${i % 3}.txt`, `note ${i}`),
        });
        break;
      case 1:
        out.push({
          message: `net: Kconfig help touch ${i}`,
          edits: appendTo('net/Kconfig', `# comment ${i}`),
        });
        break;
      case 2:
        out.push({
          message: `arm: Kconfig change ${i} (other arch)`,
          edits: appendTo('arch/arm/Kconfig', `# arm comment ${i}`),
        });
        break;
      case 3:
        out.push({
          message: `drivers: Makefile change ${i}`,
          edits: appendTo('drivers/misc/Makefile', `# misc ${i}`),
        });
        break;
      default:
        out.push({
          message:
            i === 9 ? 'x86: mention KEXEC in a comment (decoy)' : `x86: Kconfig comment ${i}`,
          edits: appendTo(
            'arch/x86/Kconfig',
            i === 9 ? '# KEXEC and CRASH_DUMP are fine here' : `# x86 ${i}`,
          ),
        });
    }
  }
  return out;
}

export async function configHistory(
  tree: string,
  dir: string,
  n?: number,
  culpritAt?: number,
): Promise<History> {
  return createHistory({ tree, dir, subset: true, commits: configCommits(n, culpritAt) });
}
