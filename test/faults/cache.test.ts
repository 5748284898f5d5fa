// Storage fault 7: kmatrix killed (-9) while it fills its cache: extracting a Debian kernel
// tree, then building the tree's Kconfig tools. The next command must redo what was cut and
// never use a partial tree or tool; what the killed process left (its staging dirs, its tar
// and make still running) must be gone. A private cache dir, seeded with the apt state and
// the .deb global setup fetched (no network), so the real extraction runs.
import { copyFile, cp, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../../src/fsutil/cache.js';
import { processesOwnedBy } from '../../src/process/owner.js';
import { figure } from './figures.js';
import { removeDir, sleep, startKmatrix, waitFor, workDir } from './process-helpers.js';

let dir: string;
let cache: string;
const realCache = defaultCacheDir(process.env);

beforeAll(async () => {
  dir = await workDir('cache');
  cache = join(dir, 'cache');
  const apt = join(realCache, 'apt');
  await mkdir(join(cache, 'apt', 'debs'), { recursive: true });
  for (const f of ['lists', 'cache', 'sources.list', 'status', 'updated'])
    await cp(join(apt, f), join(cache, 'apt', f), { recursive: true });
  const deb = (await readdir(join(apt, 'debs'))).find((f) => f.startsWith('linux-source-6.1_'));
  if (!deb) throw new Error(`no linux-source-6.1 .deb in ${apt}/debs (global setup fetches it)`);
  await copyFile(join(apt, 'debs', deb), join(cache, 'apt', 'debs', deb));
});
afterAll(async () => {
  await removeDir(dir);
});

const config = (out: string) =>
  startKmatrix(dir, [
    'config',
    '--source',
    'debian:6.1',
    '--arch',
    'arm',
    '--base',
    'tinyconfig',
    '--cache-dir',
    cache,
    '--out',
    join(dir, out),
    '--json',
  ]);

const staging = async (d: string) =>
  (await readdir(d).catch(() => [] as string[])).filter((e) => /^\..*\.tmp-\d+-/.test(e));
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );
async function countFiles(d: string): Promise<number> {
  return (await readdir(d, { recursive: true })).length;
}

describe('kill -9 while the cache is being filled', () => {
  it('mid-extraction, then mid tool build: each redone, nothing partial used or left', async () => {
    const trees = join(cache, 'trees');
    const tools = join(cache, 'kconfig-tools');
    const tree = join(trees, 'debian-6.1');

    // 1. Killed while tar extracts the tree into its staging dir.
    const first = config('out');
    await waitFor('the extraction', async () => ((await staging(trees)).length ? true : undefined));
    await sleep(2000);
    const partial = join(trees, (await staging(trees))[0]!);
    const partialFiles = await countFiles(partial);
    first.kill('SIGKILL');
    await first;
    const published1 = await exists(tree);
    const orphans1 = await processesOwnedBy(first.pid!);

    // 2. The next command redoes the extraction; killed while it builds the Kconfig tools.
    const second = config('out');
    await waitFor('the tool build', async () => ((await staging(tools)).length ? true : undefined));
    await sleep(1000);
    second.kill('SIGKILL');
    await second;
    const stamped = await exists(join(tree, '.kmatrix-source'));
    const toolDirs = (await readdir(tools)).filter((e) => !e.startsWith('.'));
    const orphans2 = await processesOwnedBy(second.pid!);

    // 3. The next command builds the tools again and makes the config.
    const r = await config('out');
    const out = JSON.parse(String(r.stdout)) as { verdict: string; configPath: string };
    const files = await countFiles(tree);
    const reference = await countFiles(join(realCache, 'trees', 'debian-6.1'));
    const conf = join(
      tools,
      (await readdir(tools)).find((e) => !e.startsWith('.'))!,
    );
    const confOk = await exists(join(conf, 'scripts', 'kconfig', 'conf'));
    const leftStaging = [...(await staging(trees)), ...(await staging(tools))];
    const leftProcs = [
      ...(await processesOwnedBy(first.pid!)),
      ...(await processesOwnedBy(second.pid!)),
    ];

    expect(partialFiles).toBeGreaterThan(0);
    expect(published1).toBe(false);
    expect(stamped).toBe(true);
    expect(toolDirs).toEqual([]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(out.verdict).toBe('satisfied');
    expect(files).toBe(reference);
    expect(confOk).toBe(true);
    expect(leftStaging).toEqual([]);
    expect(leftProcs).toEqual([]);
    const okTree =
      partialFiles > 0 && !published1 && stamped && files === reference && leftStaging.length === 0;
    figure({
      group: 'storage',
      fault: 'kill -9 during a Debian tree extraction into the cache',
      expected: 'no partial tree published; the next command extracts it again; nothing left',
      measured: `killed with ${partialFiles} entries extracted (${orphans1.length} tar processes live on): tree published ${published1 ? 'YES' : 'no'}; the next command extracted all ${files} entries (reference ${reference}); ${leftStaging.length} staging dirs, ${leftProcs.length} processes left`,
      ok: okTree && leftProcs.length === 0,
    });
    const okTools = toolDirs.length === 0 && confOk && r.exitCode === 0 && leftProcs.length === 0;
    figure({
      group: 'storage',
      fault: 'kill -9 during the Kconfig tool build into the cache',
      expected: 'no partial tools published; the next command builds them again',
      measured: `${toolDirs.length} tool dirs published after the kill (${orphans2.length} make processes live on); the next command rebuilt conf and exited ${r.exitCode} (${out.verdict}); ${leftProcs.length} processes left`,
      ok: okTools,
    });
  });
});
