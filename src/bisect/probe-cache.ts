// Memoized compiler probes for the many conf runs of one bisect. Kconfig asks the compiler
// ~90 questions per conf run ($(cc-option), $(as-instr), cc-version.sh...), ~2.5 s of a
// 3 s run. Their answers depend on the compiler and the question only, so a wrapper named
// like the compiler, first on PATH for config steps only, answers repeated questions from
// files. It lives in the bisect's temp dir: nothing outlives the run, no compiler upgrade
// can make an entry stale. Anything that may write a file someone reads is passed through.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { which } from '../process/runner.js';

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
 * Write the wrapper for `compiler` (as make will call it, e.g. x86_64-linux-gnu-gcc) into
 * dir/bin; returns the directory to put first on PATH, or undefined when the compiler is
 * not on PATH (then config steps run without the cache and fail as they would anyway).
 */
export async function createProbeCache(dir: string, compiler: string): Promise<string | undefined> {
  const real = await which(compiler);
  if (!real) return undefined;
  const bin = join(dir, 'bin');
  const store = join(dir, 'store');
  await mkdir(bin, { recursive: true });
  await mkdir(store, { recursive: true });
  const wrapper = join(bin, compiler);
  await writeFile(wrapper, probeWrapperScript(real, store));
  await chmod(wrapper, 0o755);
  return bin;
}
