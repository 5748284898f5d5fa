// schema/matrix.schema.json is generated from the zod schema; this keeps it in sync.
// Regenerate with: KMATRIX_WRITE_SCHEMA=1 npx vitest run test/unit/matrix/schema.test.ts
import { readFile, writeFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { matrixJsonSchema } from '../../../src/matrix/schema.js';

const FILE = new URL('../../../schema/matrix.schema.json', import.meta.url);

it('schema/matrix.schema.json matches the zod schema', async () => {
  const generated = JSON.stringify(matrixJsonSchema(), null, 2) + '\n';
  if (process.env['KMATRIX_WRITE_SCHEMA']) await writeFile(FILE, generated);
  // compared as JSON: prettier may re-wrap the file
  expect(JSON.parse(await readFile(FILE, 'utf8'))).toEqual(JSON.parse(generated));
});

it('describes the keys editors complete', () => {
  const s = matrixJsonSchema() as {
    properties: Record<string, { description?: string }>;
    required: string[];
  };
  expect(Object.keys(s.properties)).toEqual(
    expect.arrayContaining(['sources', 'architectures', 'configs', 'include', 'exclude']),
  );
  expect(s.required).toEqual(expect.arrayContaining(['sources', 'architectures', 'configs']));
  expect(s.properties['timeout']?.description).toMatch(/30m/);
});
