// Renders progress events as plain lines on stderr (stdout stays for results and --json).
import type { Writable } from 'node:stream';
import type { Emit, KmatrixEvent } from '../core/events.js';

export function progressLine(e: KmatrixEvent): string | undefined {
  switch (e.type) {
    case 'source:apt-update':
      return `updating apt lists for ${e.suites.join(', ')}`;
    case 'source:download':
      return `downloading ${e.pkg} from ${e.suite}`;
    case 'source:extract':
      return `extracting ${e.pkg} into ${e.into} (once; reused afterwards)`;
    case 'source:wait-lock':
      return `waiting for ${e.what}`;
    case 'source:export':
      return `exporting ${e.commit.slice(0, 12)} from ${e.repo} into ${e.into}`;
    case 'source:ready':
      return e.cached ? undefined : `source ${e.label} ready at ${e.path}`;
    case 'config:tools':
      return e.cached ? undefined : `building Kconfig tools for ${e.tree} (once per tree)`;
    case 'config:step':
      return `${e.cell}: make ${e.step}`;
    case 'config:done':
      return undefined;
  }
}

/** Events -> `kmatrix: LINE` on the stream, for each event that has a line. */
export function lineReporter<E>(stream: Writable, line: (e: E) => string | undefined): Emit<E> {
  return (e) => {
    const text = line(e);
    if (text) stream.write(`kmatrix: ${text}\n`);
  };
}

export function progressReporter(stream: Writable): Emit<KmatrixEvent> {
  return lineReporter(stream, progressLine);
}
