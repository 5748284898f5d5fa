import { describe, expect, it } from 'vitest';
import { parseSourceSpec } from '../../../src/source/spec.js';
import { parseKernelVersion } from '../../../src/source/tree.js';

describe('parseSourceSpec', () => {
  it('parses the three kinds', () => {
    expect(parseSourceSpec('/usr/src/linux')).toEqual({ kind: 'path', path: '/usr/src/linux' });
    expect(parseSourceSpec('git:/src/linux@v6.6')).toEqual({
      kind: 'git',
      repo: '/src/linux',
      ref: 'v6.6',
    });
    expect(parseSourceSpec('git:../a@b@HEAD~2')).toEqual({
      kind: 'git',
      repo: '../a@b',
      ref: 'HEAD~2',
    });
    expect(parseSourceSpec('debian:6.12')).toEqual({ kind: 'debian', version: '6.12' });
  });
  it('rejects malformed specs with what is accepted', () => {
    expect(() => parseSourceSpec('debian:latest')).toThrowError(
      /bad Debian source "debian:latest".*major\.minor/,
    );
    expect(() => parseSourceSpec('git:/src/linux')).toThrowError(/expected git:PATH@REF/);
    expect(() => parseSourceSpec('')).toThrowError(/empty --source/);
  });
});

describe('parseKernelVersion', () => {
  it('reads VERSION, PATCHLEVEL, SUBLEVEL and EXTRAVERSION', () => {
    expect(
      parseKernelVersion(
        'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION =\nNAME = Curry Ramen\n',
      ),
    ).toBe('6.1.192');
    expect(
      parseKernelVersion('VERSION = 6\nPATCHLEVEL = 6\nSUBLEVEL = 0\nEXTRAVERSION = -rc3\n'),
    ).toBe('6.6.0-rc3');
  });
});
