// Build sizing by cores and memory.
import { expect, it } from 'vitest';
import { sizeRun } from '../../../src/schedule/resources.js';

const GiB = 2 ** 30;

it('runs about sqrt(cores) builds of cores/builds make jobs, capped by memory', () => {
  expect(sizeRun({ cores: 2, memoryBytes: 24 * GiB })).toEqual({
    configJobs: 2,
    buildJobs: 1,
    makeJobs: 2,
  });
  expect(sizeRun({ cores: 16, memoryBytes: 64 * GiB })).toEqual({
    configJobs: 16,
    buildJobs: 4,
    makeJobs: 4,
  });
  expect(sizeRun({ cores: 64, memoryBytes: 256 * GiB })).toEqual({
    configJobs: 64,
    buildJobs: 8,
    makeJobs: 8,
  });
  expect(sizeRun({ cores: 64, memoryBytes: 6 * GiB })).toEqual({
    configJobs: 64,
    buildJobs: 3,
    makeJobs: 22,
  });
  expect(sizeRun({ cores: 16, memoryBytes: 64 * GiB }, { buildJobs: 2 })).toEqual({
    configJobs: 16,
    buildJobs: 2,
    makeJobs: 8,
  });
});
