// Reading a JSON-lines file a test asked kmatrix to write (--events FILE): one value per line;
// a file not written yet reads as none.
import { readFile } from 'node:fs/promises';

export async function readJsonLines<T>(file: string): Promise<T[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}
