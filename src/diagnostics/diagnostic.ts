// What a build log says went wrong, as data: one Diagnostic per compiler, assembler,
// linker, modpost, make or Kconfig complaint, with a 0-day style fingerprint that stays
// the same when only line numbers move.

export type Severity = 'error' | 'warning';
export type DiagnosticKind = 'compiler' | 'assembler' | 'linker' | 'modpost' | 'make' | 'kconfig';

export interface Diagnostic {
  severity: Severity;
  kind: DiagnosticKind;
  /** Relative to the source tree (or the O= dir for generated files); '' when none. */
  file: string;
  line?: number;
  column?: number;
  message: string;
  /** The function the compiler or linker named as context ("In function 'foo'"). */
  function?: string;
  /** `path-with-dashes:severity:message-slug`, line numbers excluded. */
  fingerprint: string;
}

/** A message as it goes into a fingerprint: lowercase words, no positions or flags. */
export function messageSlug(message: string): string {
  return message
    .replace(/[‘’`]/g, "'")
    .replace(/\s*\[-W[^\]]*\]\s*$/, '') // [-Wunused-variable], [-Werror=...]
    .replace(/\+0x[0-9a-f]+/gi, '') // section offsets: (.text+0x1c)
    .replace(/\b0x[0-9a-f]+\b/gi, '')
    .replace(/:\d+(:\d+)?\b/g, '') // file:line(:col) inside the message
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export function fingerprint(d: Pick<Diagnostic, 'file' | 'severity' | 'message' | 'kind'>): string {
  const where = d.file ? d.file.replace(/\//g, '-') : d.kind;
  return `${where}:${d.severity}:${messageSlug(d.message)}`;
}

/**
 * make's "*** [x] Error 2" and ld's "file format not recognized": what a failure looks like
 * from outside, said again for every cause. Worth showing only when nothing else is.
 */
function isGeneric(d: Pick<Diagnostic, 'kind' | 'message'>): boolean {
  return (
    d.kind === 'make' || (d.kind === 'linker' && /file (format )?not recognized/.test(d.message))
  );
}

/** The diagnostics that say what went wrong: the generic ones only when nothing else does. */
export function mostSpecific<T extends Pick<Diagnostic, 'kind' | 'message'>>(
  ds: readonly T[],
): T[] {
  const specific = ds.filter((d) => !isGeneric(d));
  return specific.length ? specific : [...ds];
}
