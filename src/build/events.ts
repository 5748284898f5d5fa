// Progress events of a build; reporters decide what to show (the CLI prints lines on stderr).
import type { BuildStatus, TargetStatus } from './result.js';

export type BuildEvent =
  | { type: 'build:runtime'; note: string }
  | { type: 'build:config'; cell: string; verdict: 'satisfied' | 'unsatisfied' }
  | { type: 'build:compiler'; cell: string; version: string }
  | { type: 'build:target-start'; cell: string; target: string; command: string }
  | { type: 'build:output'; cell: string; chunk: string }
  | { type: 'build:target-done'; cell: string; target: string; status: TargetStatus; ms: number }
  | { type: 'build:done'; cell: string; status: BuildStatus; ms: number; outDir: string };
