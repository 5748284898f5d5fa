// Delta debugging (Zeller's ddmin) over a list of changes, with every test cached by the
// subset it tried. Pure apart from the injected async test; the result is 1-minimal: removing
// any single change from it makes the test stop failing.

export type DdVerdict = 'fail' | 'pass' | 'unresolved';

export interface DdResult<T> {
  minimal: T[];
  tests: number;
  /** Whether the full set failed at all (otherwise minimal is empty). */
  reproduced: boolean;
}

export async function ddmin<T>(
  changes: readonly T[],
  test: (subset: readonly T[]) => Promise<DdVerdict>,
  key: (c: T) => string = String,
): Promise<DdResult<T>> {
  const cache = new Map<string, DdVerdict>();
  let tests = 0;
  const run = async (subset: readonly T[]): Promise<DdVerdict> => {
    const k = subset.map(key).sort().join('\0');
    const hit = cache.get(k);
    if (hit) return hit;
    tests++;
    const v = await test(subset);
    cache.set(k, v);
    return v;
  };
  if ((await run(changes)) !== 'fail') return { minimal: [], tests, reproduced: false };
  let c = [...changes];
  let n = 2;
  while (c.length >= 2) {
    const parts = split(c, n);
    let progressed = false;
    for (const p of parts) {
      if ((await run(p)) === 'fail') {
        c = p;
        n = 2;
        progressed = true;
        break;
      }
    }
    if (!progressed && n > 2) {
      for (const p of parts) {
        const complement = c.filter((x) => !p.includes(x));
        if ((await run(complement)) === 'fail') {
          c = complement;
          n = Math.max(n - 1, 2);
          progressed = true;
          break;
        }
      }
    } else if (!progressed) {
      // n == 2: the complements are the two halves already tried
    }
    if (!progressed) {
      if (n >= c.length) break;
      n = Math.min(n * 2, c.length);
    }
  }
  return { minimal: c, tests, reproduced: true };
}

function split<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((xs.length - start) / (n - i));
    out.push(xs.slice(start, end));
    start = end;
  }
  return out.filter((p) => p.length > 0);
}
