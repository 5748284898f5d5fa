// Writing a triaged failure's report: runs/<id>/reports/<n>.txt in the robot's layout
// (src/report/triage-mail.ts) and the failing cell's .config beside it under the report's
// config name, where `kmatrix repro` looks for it.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import { writeFileAtomic } from '../fsutil/atomic.js';
import { mailConfigName, renderTriageMail } from '../report/triage-mail.js';
import type { CellWhy, TriageRecord } from '../results/triage.js';
import type { SourceCommit } from '../store/store.js';
import { compilerCommand } from '../toolchain/toolchains.js';
import type { FailureGroup } from './plan.js';

export const REPORTS_DIR = 'reports';

/** The compiler line of the cell's build (result.json), or what would have built it. */
async function compilerText(runDir: string, g: FailureGroup, arch: Arch): Promise<string> {
  const cc = compilerCommand(arch, g.cell.toolchain);
  if (!g.cell.build || !g.result.files.result) return `${cc} (config only: the cell was not built)`;
  try {
    const r = JSON.parse(await readFile(join(runDir, g.result.files.result), 'utf8')) as {
      toolchain?: { version?: string };
    };
    return r.toolchain?.version || `${cc} (version not recorded)`;
  } catch {
    return `${cc} (version not recorded)`;
  }
}

/** Writes the report and the config; returns the report's path relative to the run dir. */
export async function writeTriageMail(o: {
  runId: string;
  runDir: string;
  g: FailureGroup;
  arch: Arch;
  record: TriageRecord;
  why: CellWhy | undefined;
  source: SourceCommit | undefined;
}): Promise<string> {
  const { g } = o;
  const dir = join(o.runDir, REPORTS_DIR);
  await mkdir(dir, { recursive: true });
  const configName = mailConfigName(o.arch, g.cell.variant, g.cell.id);
  if (g.result.files.config)
    await copyFile(join(o.runDir, g.result.files.config), join(dir, `${configName}.config`));
  const rel = join(REPORTS_DIR, `${g.n}.txt`);
  const text = renderTriageMail({
    runId: o.runId,
    n: g.n,
    cell: g.cell,
    arch: o.arch,
    record: { ...o.record, report: rel },
    diagnostics: g.result.diagnostics,
    why: o.why,
    repo: o.source?.repo ?? null,
    ref: o.source?.ref ?? null,
    head: o.source?.commit ?? null,
    configName,
    compiler: await compilerText(o.runDir, g, o.arch),
  });
  await writeFileAtomic(join(o.runDir, rel), text);
  return rel;
}
