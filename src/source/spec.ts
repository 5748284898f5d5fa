// Source specs as the user writes them, parsed purely: a path, git:PATH@REF, or debian:VERSION.
import { KmatrixError } from '../core/errors.js';
import { printable } from '../core/text.js';

export type SourceSpec =
  | { kind: 'path'; path: string }
  | { kind: 'git'; repo: string; ref: string }
  | { kind: 'debian'; version: string };

const SOURCE_FORMS = 'a kernel tree path, git:PATH@REF, or debian:VERSION (e.g. debian:6.1)';

export function parseSourceSpec(text: string): SourceSpec {
  if (text.trim() === '') {
    throw new KmatrixError('bad-source', `empty --source; expected ${SOURCE_FORMS}`);
  }
  if (text.startsWith('debian:')) {
    const version = text.slice('debian:'.length);
    if (!/^\d+\.\d+$/.test(version)) {
      throw new KmatrixError(
        'bad-source',
        `bad Debian source "${printable(text)}": the version must look like 6.1 (major.minor); expected ${SOURCE_FORMS}`,
      );
    }
    return { kind: 'debian', version };
  }
  if (text.startsWith('git:')) {
    const rest = text.slice('git:'.length);
    const at = rest.lastIndexOf('@');
    if (at <= 0 || at === rest.length - 1) {
      throw new KmatrixError(
        'bad-source',
        `bad git source "${printable(text)}": expected git:PATH@REF, e.g. git:/src/linux@v6.6`,
      );
    }
    return { kind: 'git', repo: rest.slice(0, at), ref: rest.slice(at + 1) };
  }
  return { kind: 'path', path: text };
}

export function formatSourceSpec(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'path':
      return spec.path;
    case 'git':
      return `git:${spec.repo}@${spec.ref}`;
    case 'debian':
      return `debian:${spec.version}`;
  }
}
