// The Dockerfiles' default package lists must equal what the arch table derives, so a plain
// `docker build docker/gcc` makes the same image kmatrix does.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ARCHES } from '../../../src/arch/arches.js';
import { bookwormMirror, imageSpec } from '../../../src/images/spec.js';

async function argDefault(dir: string, name: string): Promise<string | undefined> {
  const text = await readFile(
    new URL(`../../../docker/${dir}/Dockerfile`, import.meta.url),
    'utf8',
  );
  return new RegExp(`^ARG ${name}="([^"]*)"`, 'm').exec(text)?.[1];
}

describe('toolchain Dockerfiles', () => {
  it('gcc image installs every arch gcc package', async () => {
    const spec = imageSpec('gcc');
    expect(await argDefault('gcc', 'CROSS_PACKAGES')).toBe(spec.buildArgs['CROSS_PACKAGES']);
    for (const a of ARCHES)
      expect(spec.buildArgs['CROSS_PACKAGES']!.split(' ')).toContain(a.gccPackage);
  });

  it('clang image installs every arch binutils package', async () => {
    const spec = imageSpec('clang');
    expect(await argDefault('clang', 'BINUTILS_PACKAGES')).toBe(
      spec.buildArgs['BINUTILS_PACKAGES'],
    );
  });

  it('clang image installs every arch libc and libgcc dev package (clang links userspace)', async () => {
    const spec = imageSpec('clang');
    expect(await argDefault('clang', 'LINK_PACKAGES')).toBe(spec.buildArgs['LINK_PACKAGES']);
    for (const a of ARCHES) {
      expect(spec.buildArgs['LINK_PACKAGES']!.split(' ')).toContain(a.libcPackage);
      expect(spec.buildArgs['LINK_PACKAGES']!.split(' ')).toContain(a.libgccPackage);
    }
  });
});

describe('bookwormMirror', () => {
  it('reads deb822 sources', () => {
    const text = `Types: deb
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main
`;
    expect(bookwormMirror([{ name: '/etc/apt/sources.list.d/debian.sources', text }])).toBe(
      'http://mirror.example/debian',
    );
  });

  it('reads one-line sources, skipping comments, other suites and deb-src', () => {
    const text = `# deb http://old/debian bookworm main
deb-src http://src/debian bookworm main
deb [arch=amd64] http://sec/debian-security bookworm-security main
deb [signed-by=/k.gpg] http://ftp.example/debian bookworm main contrib
`;
    expect(bookwormMirror([{ name: '/etc/apt/sources.list', text }])).toBe(
      'http://ftp.example/debian',
    );
  });

  it('is undefined when nothing names bookworm', () => {
    expect(
      bookwormMirror([{ name: 'x.list', text: 'deb http://a/ubuntu jammy main\n' }]),
    ).toBeUndefined();
  });
});
