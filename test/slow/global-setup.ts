// Fetch (once, cached) the Debian kernel trees the slow tests use, through kmatrix itself.
import { TEST_TREE_VERSIONS, debianTree, treeEnvName } from '../helpers/trees.js';

export default async function setup(): Promise<void> {
  for (const v of TEST_TREE_VERSIONS) {
    const name = treeEnvName(v);
    if (process.env[name]) continue;
    const t = await debianTree(v, (s) => process.stderr.write(`[global-setup] ${s}\n`));
    process.env[name] = t.path;
  }
}
