// Three projects: `fast` (pure logic, seconds), `slow` (real kernel trees, Docker,
// cross-compiles; tagged by living under test/slow) and `faults` (the fault suite: kills,
// full disks, hostile input; it writes its figures into docs/reliability.md). CI runs all.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'fast',
          include: ['test/unit/**/*.test.ts', 'src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'slow',
          include: ['test/slow/**/*.test.ts'],
          globalSetup: ['test/slow/global-setup.ts'],
          testTimeout: 20 * 60_000,
          hookTimeout: 30 * 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/faults/global-setup.ts'],
          testTimeout: 10 * 60_000,
          hookTimeout: 20 * 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
