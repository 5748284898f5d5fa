// Memoized $(shell,...) results for many direct conf runs over one unchanging tree (a solve
// session): a library preloaded into conf answers each Kconfig shell probe it has seen before.
// The compiler probe cache (probe-cache.ts) only covers the compiler; this covers every probe
// (python3 through pyenv shims, rustc, ld, the shells and mkdirs around them): ~0.5 s of CPU
// of a ~1.3 s conf run on 6.12 x86_64.
//
// Why the answers can be reused: conf expands every $(shell) while parsing Kconfig, before it
// reads the .config, so a probe's command cannot depend on the config being judged. Its output
// depends on the command (fully expanded: every macro and variable it uses is in the string),
// conf's environment and working directory, and the programs and tree scripts it runs. The key
// is the command plus the whole environment (but KCONFIG_CONFIG, the file being judged, and
// `_`); a stored entry answers only the identical command (no hash collision can pass). One
// store serves one O= dir of one tree, and nothing in a session changes the tree or the
// toolchain, which is what the compiler probe cache already relies on.
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../fsutil/atomic.js';
import type { ProcessRunner } from '../process/runner.js';

/**
 * Interposes popen/pclose in a process named conf (only there; anything else that loads it is
 * left alone) when KMATRIX_SHELL_CACHE names a store. Drops LD_PRELOAD and the store from the
 * environment first, so the probes conf starts run exactly as without it.
 */
export const SHELL_CACHE_C = String.raw`#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
extern char **environ;
static const char *store;
static unsigned long long env_hash = 1469598103934665603ULL;
#define SLOTS 16
static FILE *ours[SLOTS];
static int status_of[SLOTS];
static void fnv(unsigned long long *h, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) { *h ^= (unsigned char)s[i]; *h *= 1099511628211ULL; }
}
__attribute__((constructor)) static void init(void) {
  if (strcmp(program_invocation_short_name, "conf")) return;
  const char *d = getenv("KMATRIX_SHELL_CACHE");
  if (!d || !*d) return;
  store = strdup(d);
  unsetenv("KMATRIX_SHELL_CACHE");
  unsetenv("LD_PRELOAD");
  for (char **e = environ; *e; e++) {
    if (!strncmp(*e, "KCONFIG_CONFIG=", 15) || !strncmp(*e, "_=", 2)) continue;
    fnv(&env_hash, *e, strlen(*e) + 1);
  }
}
static int slot_for(FILE *f, int st) {
  for (int i = 0; i < SLOTS; i++)
    if (!ours[i]) { ours[i] = f; status_of[i] = st; return 1; }
  return 0;
}
/* The stored answer for cmd: its output as a FILE, its wait status in *st. */
static FILE *lookup(const char *key, const char *cmd, int *st) {
  char p[4200], buf[8192];
  snprintf(p, sizeof p, "%s.cmd", key);
  FILE *c = fopen(p, "r");
  if (!c) return NULL;
  size_t n = fread(buf, 1, sizeof buf, c);
  fclose(c);
  char *nl = memchr(buf, '\n', n);
  size_t cl = strlen(cmd);
  if (!nl || (size_t)(buf + n - (nl + 1)) != cl || memcmp(nl + 1, cmd, cl)) return NULL;
  if (sscanf(buf, "%d", st) != 1) return NULL;
  return fopen(key, "r");
}
static void save(const char *key, const char *cmd, const char *out, size_t len, int st) {
  char tmp[4300], dst[4200];
  snprintf(tmp, sizeof tmp, "%s.%d", key, (int)getpid());
  FILE *w = fopen(tmp, "w");
  if (!w) return;
  int ok = fwrite(out, 1, len, w) == len;
  if (fclose(w) || !ok || rename(tmp, key)) { unlink(tmp); return; }
  w = fopen(tmp, "w");
  if (!w) return;
  ok = fprintf(w, "%d\n%s", st, cmd) > 0;
  snprintf(dst, sizeof dst, "%s.cmd", key);
  if (fclose(w) || !ok || rename(tmp, dst)) unlink(tmp);
}
FILE *popen(const char *cmd, const char *type) {
  static FILE *(*real)(const char *, const char *);
  if (!real) real = (FILE *(*)(const char *, const char *))dlsym(RTLD_NEXT, "popen");
  if (!store || strcmp(type, "r") || strlen(cmd) > 4000) return real(cmd, type);
  unsigned long long h = env_hash;
  fnv(&h, cmd, strlen(cmd) + 1);
  char key[4200];
  snprintf(key, sizeof key, "%s/%016llx", store, h);
  int st = 0;
  FILE *hit = lookup(key, cmd, &st);
  if (hit) {
    if (slot_for(hit, st)) return hit;
    fclose(hit);
    return real(cmd, type);
  }
  FILE *p = real(cmd, type);
  if (!p) return p;
  size_t cap = 65536, len = 0, n;
  char *out = malloc(cap);
  int whole = 1;
  while (out && (n = fread(out + len, 1, cap - len, p)) > 0) {
    len += n;
    if (len < cap) continue;
    if (cap >= (1u << 20)) { whole = 0; break; }
    char *bigger = realloc(out, cap * 2);
    if (!bigger) { whole = 0; break; }
    out = bigger;
    cap *= 2;
  }
  st = pclose(p);
  FILE *f = tmpfile();
  if (!out || !f) { free(out); if (f) fclose(f); errno = ENOMEM; return NULL; }
  fwrite(out, 1, len, f);
  rewind(f);
  if (whole && st != -1) save(key, cmd, out, len, st);
  free(out);
  if (!slot_for(f, st)) { fclose(f); return real(cmd, type); }
  return f;
}
int pclose(FILE *f) {
  static int (*real)(FILE *);
  if (!real) real = (int (*)(FILE *))dlsym(RTLD_NEXT, "pclose");
  for (int i = 0; i < SLOTS; i++)
    if (ours[i] == f) { ours[i] = NULL; fclose(f); return status_of[i]; }
  return real(f);
}
`;

/** Set on a direct conf run: the preloaded library and its store. */
export type ShellCacheEnv = Record<'LD_PRELOAD' | 'KMATRIX_SHELL_CACHE', string>;

/**
 * The library (built once per cache dir with the host gcc, which conf needs anyway) and a new
 * store in `dir`; undefined when it cannot be built (conf then runs every probe, as before).
 */
export async function createShellCache(
  dir: string,
  deps: { runner: ProcessRunner; cacheDir: string },
): Promise<ShellCacheEnv | undefined> {
  const lib = await shellCacheLibrary(deps);
  if (!lib) return undefined;
  await mkdir(dir, { recursive: true });
  return { LD_PRELOAD: lib, KMATRIX_SHELL_CACHE: dir };
}

async function shellCacheLibrary(deps: {
  runner: ProcessRunner;
  cacheDir: string;
}): Promise<string | undefined> {
  const hash = createHash('sha256').update(SHELL_CACHE_C).digest('hex').slice(0, 16);
  const dir = join(deps.cacheDir, 'probe-tools');
  const lib = join(dir, `shell-cache-${hash}.so`);
  if (await exists(lib)) return lib;
  await mkdir(dir, { recursive: true });
  const tmp = `${lib}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const src = `${tmp}.c`;
  try {
    await writeFile(src, SHELL_CACHE_C);
    const r = await deps.runner.run('gcc', ['-O2', '-shared', '-fPIC', '-o', tmp, src, '-ldl']);
    if (r.failed) return undefined;
    await rename(tmp, lib);
    return lib;
  } finally {
    await rm(src, { force: true });
    await rm(tmp, { force: true });
  }
}
