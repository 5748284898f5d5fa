// Typed progress events. Core code emits them; reporters (terminal, JSON) decide what to show.

export type SourceEvent =
  | { type: 'source:apt-update'; suites: string[] }
  | { type: 'source:download'; pkg: string; suite: string }
  | { type: 'source:extract'; pkg: string; into: string }
  | { type: 'source:wait-lock'; what: string }
  | { type: 'source:export'; repo: string; commit: string; into: string }
  | { type: 'source:ready'; label: string; path: string; cached: boolean };

export type ConfigEvent =
  | { type: 'config:tools'; tree: string; cached: boolean }
  | { type: 'config:step'; cell: string; step: string; command: string }
  | { type: 'config:done'; cell: string; verdict: 'satisfied' | 'unsatisfied'; ms: number };

export type KmatrixEvent = SourceEvent | ConfigEvent;

export type Emit<E = KmatrixEvent> = (event: E) => void;
