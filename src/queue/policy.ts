// Which sources a worker builds. Building a tree runs its Makefiles (the config stage on the
// worker itself), so a job that names an arbitrary remote repository is a job that runs that
// repository's code: by default a worker builds Debian's trees and trees already on its own
// disk (paths, git repositories by path or file://); network remotes only when the operator
// allows them with --allow-source.

/** `*` matches any run of characters; everything else is literal. */
function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

export function isRemoteGit(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) && !repo.startsWith('file://');
}

/** The repository part of git:REPO@REF. */
export function gitRepoOf(source: string): string | undefined {
  if (!source.startsWith('git:')) return undefined;
  const rest = source.slice(4);
  const at = rest.lastIndexOf('@');
  return at > 0 ? rest.slice(0, at) : undefined;
}

/**
 * A check for a cell's resolved source: undefined when this worker may build it, else why
 * not. With patterns, exactly the sources matching one of them are allowed.
 */
export function sourcePolicy(patterns: readonly string[]): (source: string) => string | undefined {
  const res = patterns.map(globToRegExp);
  return (source) => {
    if (res.length > 0)
      return res.some((r) => r.test(source))
        ? undefined
        : `source ${source} is not allowed on this worker (--allow-source ${patterns.join(' ')})`;
    const repo = gitRepoOf(source);
    if (repo !== undefined && isRemoteGit(repo))
      return `source ${source} names a network remote; a worker fetches those only when allowed: kmatrix worker --allow-source 'git:${repo}@*'`;
    return undefined;
  };
}
