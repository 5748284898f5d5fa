// Memoized compiler probes for the many conf runs of one bisect or solve. Kconfig asks the compiler
// ~90 questions per conf run ($(cc-option), $(as-instr), cc-version.sh...), ~2.5 s of a
// 3 s run. Their answers depend on the compiler and the question only, so a wrapper named
// like the compiler, first on PATH for config steps only, answers repeated questions from
// files. It lives in the run's temp dir: nothing outlives the run, no compiler upgrade
// can make an entry stale. Anything that may write a file someone reads is passed through.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createExecaRunner, which } from '../process/runner.js';

// Without execa's exit hook: a bisect's or solve's own SIGINT handling ends its children.
const compileRunner = createExecaRunner({ cleanup: false });

/** The wrapper script (POSIX sh; dash starts in ~1 ms, gcc+cc1+as take ~25 ms). */
export function probeWrapperScript(real: string, cacheDir: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh
# kmatrix probe cache for ${real}
real=${q(real)}
cache=${q(cacheDir)}
stdin=
prev=
hasout=
special=
for a in "$@"; do
  if [ "$prev" = "-o" ]; then
    hasout=1
    case "$a" in
      /dev/null|.tmp_*|*/.tmp_*) ;;
      *) exec "$real" "$@" ;;
    esac
  fi
  case "$a" in
    -) stdin=1 ;;
    -E|--version|-v|-dumpversion|-dumpmachine|-print-*) special=1 ;;
  esac
  prev=$a
done
[ -n "$hasout" ] || [ -n "$special" ] || exec "$real" "$@"
in="$cache/in.$$"
if [ -n "$stdin" ]; then cat > "$in"; else : > "$in"; fi
key=$( { printf '%s\\n' "$@" | sed 's/\\.tmp_[0-9][0-9]*/.tmp_N/g'; echo "--stdin--"; cat "$in"; } | md5sum)
key="$cache/\${key%% *}"
if [ -f "$key.rc" ]; then
  rm -f "$in"
  [ -s "$key.out" ] && cat "$key.out"
  [ -s "$key.err" ] && cat "$key.err" >&2
  read rc < "$key.rc"
  exit "$rc"
fi
"$real" "$@" < "$in" > "$key.out.$$" 2> "$key.err.$$"
rc=$?
rm -f "$in"
mv -f "$key.out.$$" "$key.out"
mv -f "$key.err.$$" "$key.err"
echo "$rc" > "$key.rc.$$" && mv -f "$key.rc.$$" "$key.rc"
[ -s "$key.out" ] && cat "$key.out"
[ -s "$key.err" ] && cat "$key.err" >&2
exit "$rc"
`;
}

/**
 * The same rules as a small C program: one exec per probe instead of a shell, sed, md5sum
 * and cats. Built with the host gcc (needed for conf anyway); the sh version is the fallback.
 */
export const PROBE_WRAPPER_C = String.raw`#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static unsigned long long h = 1469598103934665603ULL;
static void hash(const void *p, size_t n) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++) { h ^= c[i]; h *= 1099511628211ULL; }
}
static void hash_arg(const char *p) {
  for (;;) {
    const char *t = strstr(p, ".tmp_");
    if (!t) { hash(p, strlen(p)); break; }
    hash(p, (size_t)(t - p) + 5);
    p = t + 5;
    while (*p >= '0' && *p <= '9') p++;
    hash("N", 1);
  }
  hash("", 1);
}
static void copy(const char *path, int fd) {
  int in = open(path, O_RDONLY);
  if (in < 0) return;
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) if (write(fd, buf, (size_t)n) < 0) break;
  close(in);
}
extern char **environ;
/* KMATRIX_CONF_ENV=<file>: when called by a shell that conf started (a Kconfig probe), save
 * conf's command line (<file>.argv), pid (<file>.pid) and environment (<file>, written last),
 * NUL-separated, for the first conf of a make; a later conf process of the same make only
 * leaves <file>.multi (the target ran conf more than once). */
static void save_conf_env(void) {
  const char *file = getenv("KMATRIX_CONF_ENV");
  if (!file) return;
  char p[64], buf[8192];
  snprintf(p, sizeof p, "/proc/%d/stat", (int)getppid());
  FILE *f = fopen(p, "r");
  if (!f) return;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *rp = strrchr(buf, ')');
  int gp = 0;
  if (!rp || sscanf(rp + 1, " %*c %d", &gp) != 1 || gp <= 1) return;
  snprintf(p, sizeof p, "/proc/%d/comm", gp);
  f = fopen(p, "r");
  if (!f) return;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  if (strcmp(buf, "conf\n")) return;
  char tmp[4200], dst[4200];
  if (access(file, F_OK) == 0) {
    snprintf(dst, sizeof dst, "%s.pid", file);
    f = fopen(dst, "r");
    int first = 0;
    if (f) { if (fscanf(f, "%d", &first) != 1) first = 0; fclose(f); }
    if (first != gp) {
      snprintf(dst, sizeof dst, "%s.multi", file);
      int m = open(dst, O_WRONLY | O_CREAT, 0644);
      if (m >= 0) close(m);
    }
    return;
  }
  snprintf(dst, sizeof dst, "%s.pid", file);
  f = fopen(dst, "w");
  if (!f) return;
  fprintf(f, "%d\n", gp);
  fclose(f);
  snprintf(p, sizeof p, "/proc/%d/cmdline", gp);
  snprintf(tmp, sizeof tmp, "%s.argv.%d", file, (int)getpid());
  snprintf(dst, sizeof dst, "%s.argv", file);
  int in = open(p, O_RDONLY), out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in >= 0 && out >= 0) {
    ssize_t r;
    while ((r = read(in, buf, sizeof buf)) > 0) if (write(out, buf, (size_t)r) < 0) break;
  }
  if (in >= 0) close(in);
  if (out < 0) return;
  close(out);
  rename(tmp, dst);
  snprintf(tmp, sizeof tmp, "%s.%d", file, (int)getpid());
  out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) return;
  for (char **e = environ; *e; e++)
    if (write(out, *e, strlen(*e) + 1) < 0) break;
  close(out);
  rename(tmp, file);
}
int main(int argc, char **argv) {
  int has_out = 0, special = 0, use_stdin = 0;
  save_conf_env();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-o") && i + 1 < argc) {
      const char *o = argv[i + 1];
      if (strcmp(o, "/dev/null") && strncmp(o, ".tmp_", 5) && !strstr(o, "/.tmp_")) goto pass;
      has_out = 1;
      i++;
      continue;
    }
    if (!strcmp(a, "-")) use_stdin = 1;
    if (!strcmp(a, "-E") || !strcmp(a, "--version") || !strcmp(a, "-v") ||
        !strcmp(a, "-dumpversion") || !strcmp(a, "-dumpmachine") || !strncmp(a, "-print-", 7))
      special = 1;
  }
  if (!has_out && !special) goto pass;
  char *in = NULL;
  size_t len = 0, cap = 0;
  if (use_stdin) {
    ssize_t n;
    do {
      if (len + 65536 > cap) { cap = cap * 2 + 65536; in = realloc(in, cap); if (!in) goto pass; }
      n = read(0, in + len, 65536);
      if (n > 0) len += (size_t)n;
    } while (n > 0);
  }
  for (int i = 1; i < argc; i++) hash_arg(argv[i]);
  hash("--stdin--", 9);
  if (len) hash(in, len);
  char key[4096], tmp[4200], fin[4200];
  snprintf(key, sizeof key, "%s/%016llx", CACHE, h);
  snprintf(fin, sizeof fin, "%s.rc", key);
  FILE *f = fopen(fin, "r");
  if (f) {
    int rc = 1;
    if (fscanf(f, "%d", &rc) != 1) rc = 1;
    fclose(f);
    snprintf(fin, sizeof fin, "%s.out", key); copy(fin, 1);
    snprintf(fin, sizeof fin, "%s.err", key); copy(fin, 2);
    return rc;
  }
  int pid = (int)getpid();
  char inp[4200], outp[4200], errp[4200];
  snprintf(inp, sizeof inp, "%s.in.%d", key, pid);
  snprintf(outp, sizeof outp, "%s.out.%d", key, pid);
  snprintf(errp, sizeof errp, "%s.err.%d", key, pid);
  int fi = open(inp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fi < 0) goto pass;
  if (len && write(fi, in, len) < 0) { close(fi); goto pass; }
  close(fi);
  pid_t c = fork();
  if (c == 0) {
    int a = open(inp, O_RDONLY), b = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644),
        e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (a < 0 || b < 0 || e < 0) _exit(127);
    dup2(a, 0); dup2(b, 1); dup2(e, 2);
    argv[0] = REAL;
    execv(REAL, argv);
    _exit(127);
  }
  int st = 0, rc;
  if (c < 0 || waitpid(c, &st, 0) < 0) rc = 127;
  else rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  unlink(inp);
  copy(outp, 1);
  copy(errp, 2);
  snprintf(fin, sizeof fin, "%s.out", key); rename(outp, fin);
  snprintf(fin, sizeof fin, "%s.err", key); rename(errp, fin);
  snprintf(tmp, sizeof tmp, "%s.rc.%d", key, pid);
  f = fopen(tmp, "w");
  if (f) { fprintf(f, "%d\n", rc); fclose(f); snprintf(fin, sizeof fin, "%s.rc", key); rename(tmp, fin); }
  return rc;
pass:
  argv[0] = REAL;
  execv(REAL, argv);
  perror(REAL);
  return 127;
}
`;

/**
 * Write the wrapper for `compiler` (as make will call it, e.g. x86_64-linux-gnu-gcc) into
 * dir/bin; returns the directory to put first on PATH, or undefined when the compiler is
 * not on PATH (then config steps run without the cache and fail as they would anyway).
 */
export async function createProbeCache(
  dir: string,
  compiler: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const real = await which(compiler, env);
  if (!real) return undefined;
  const bin = join(dir, 'bin');
  const store = join(dir, 'store');
  await mkdir(bin, { recursive: true });
  await mkdir(store, { recursive: true });
  const wrapper = join(bin, compiler);
  const cFile = join(dir, 'probe-wrapper.c');
  await writeFile(cFile, PROBE_WRAPPER_C);
  const cStr = (s: string) => JSON.stringify(s);
  const built = await compileRunner.run('gcc', [
    '-O2',
    '-o',
    wrapper,
    cFile,
    `-DREAL=${cStr(real)}`,
    `-DCACHE=${cStr(store)}`,
  ]);
  if (built.failed) {
    await writeFile(wrapper, probeWrapperScript(real, store));
    await chmod(wrapper, 0o755);
  }
  return bin;
}

export interface SavedConf {
  /** conf's arguments after argv[0], e.g. -s --defconfig=arch/x86/configs/x86_64_defconfig Kconfig. */
  args: string[];
  /** Its mode argument (--defconfig=..., --olddefconfig, ...). */
  mode: string;
  /** conf's Kconfig argument (its last). */
  kconfig: string;
  env: Record<string, string>;
  /** The make ran conf more than once (a merged defconfig target, say). */
  multi: boolean;
}

/** What the probe wrapper saved of conf's first run in a make (KMATRIX_CONF_ENV), if usable. */
export async function readSavedConf(file: string): Promise<SavedConf | undefined> {
  const [argv, env, multi] = await Promise.all([
    readFile(`${file}.argv`, 'utf8').catch(() => undefined),
    readFile(file, 'utf8').catch(() => undefined),
    readFile(`${file}.multi`).then(
      () => true,
      () => false,
    ),
  ]);
  if (argv === undefined || env === undefined) return undefined;
  const args = argv.split('\0').filter((a) => a !== '');
  const kconfig = args[args.length - 1];
  // Only the plain `conf [-s] --<mode> Kconfig` form make uses for single config targets.
  if (args.length < 3 || !args[0]!.endsWith('scripts/kconfig/conf') || !kconfig) return undefined;
  if (kconfig.startsWith('-') || !args.slice(1, -1).every((a) => a.startsWith('-')))
    return undefined;
  const vars: Record<string, string> = {};
  for (const kv of env.split('\0')) {
    const eq = kv.indexOf('=');
    if (eq > 0) vars[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  // all*config targets hand conf a KCONFIG_ALLCONFIG that olddefconfig must not see.
  if (vars['KCONFIG_ALLCONFIG'] !== undefined || !vars['srctree']) return undefined;
  delete vars['KMATRIX_CONF_ENV'];
  const mode = args.slice(1, -1).find((a) => a !== '-s') ?? '';
  return { args: args.slice(1), mode, kconfig, env: vars, multi };
}
