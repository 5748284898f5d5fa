// Handing a directory tree to another user and back: builds of a root kmatrix run as an
// unprivileged user in their container, and what they write must be the caller's afterwards.
import { lchown, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface Owner {
  uid: number;
  gid: number;
}

/** chown -R without following links: every entry under `dir` and `dir` itself. */
export async function chownTree(dir: string, to: Owner): Promise<void> {
  const walk = async (p: string): Promise<void> => {
    const entries = await readdir(p, { withFileTypes: true }).catch(ignoreGone);
    if (entries)
      await Promise.all(
        entries.map(async (e) => {
          const child = join(p, e.name);
          if (e.isDirectory()) await walk(child);
          else await lchown(child, to.uid, to.gid).catch(ignoreGone);
        }),
      );
    await lchown(p, to.uid, to.gid).catch(ignoreGone);
  };
  await walk(dir);
}

/** Whether `dir` (the top only) belongs to `owner`. */
export async function ownedBy(dir: string, owner: Owner): Promise<boolean> {
  const st = await stat(dir);
  return st.uid === owner.uid && st.gid === owner.gid;
}

/** An entry that disappears while we walk (a make step deleting a temp file) is fine. */
function ignoreGone(e: unknown): undefined {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw e;
}
