// The toolchain images as data: tag, Dockerfile, build args derived from the arch table,
// and how to ask the compiler its version. Pure.
import { ARCHES, clangLinkPackages, gccToolchainPackages } from '../arch/arches.js';
import type { ToolchainName } from '../toolchain/toolchains.js';

export const BASE_IMAGE = 'debian:bookworm-slim';
export const TOOLCHAIN_LABEL = 'org.kmatrix.toolchain';

export interface ImageSpec {
  toolchain: ToolchainName;
  /** Repository:tag kmatrix builds and runs. */
  tag: string;
  /** Folder under docker/ holding the Dockerfile. */
  dir: string;
  buildArgs: Record<string, string>;
  /** Command printing the compiler version (first line is the version). */
  versionCommand: string[];
}

function imageTag(toolchain: ToolchainName): string {
  return `kmatrix/${toolchain}:latest`;
}

function binutilsImagePackages(): string[] {
  return [...new Set(ARCHES.map((a) => a.binutilsPackage))];
}

export function imageSpec(toolchain: ToolchainName): ImageSpec {
  switch (toolchain) {
    case 'gcc':
      return {
        toolchain,
        tag: imageTag(toolchain),
        dir: 'gcc',
        buildArgs: { CROSS_PACKAGES: gccToolchainPackages().join(' ') },
        versionCommand: ['gcc', '--version'],
      };
    case 'clang':
      return {
        toolchain,
        tag: imageTag(toolchain),
        dir: 'clang',
        buildArgs: {
          BINUTILS_PACKAGES: binutilsImagePackages().join(' '),
          LINK_PACKAGES: clangLinkPackages().join(' '),
        },
        versionCommand: ['clang', '--version'],
      };
  }
}

/**
 * The Debian mirror the host's apt uses for bookworm (one-line and deb822 formats), so
 * debootstrap goes where apt already can; undefined when none is configured.
 */
export function bookwormMirror(
  files: readonly { name: string; text: string }[],
): string | undefined {
  for (const f of files) {
    if (f.name.endsWith('.sources')) {
      for (const stanza of f.text.split(/\n\s*\n/)) {
        const fields = new Map<string, string>();
        for (const line of stanza.split('\n')) {
          const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
          if (m) fields.set(m[1]!.toLowerCase(), m[2]!.trim());
        }
        const types = (fields.get('types') ?? '').split(/\s+/);
        const suites = (fields.get('suites') ?? '').split(/\s+/);
        const uri = (fields.get('uris') ?? '').split(/\s+/)[0];
        if (
          types.includes('deb') &&
          suites.includes('bookworm') &&
          uri &&
          fields.get('enabled') !== 'no'
        )
          return uri.replace(/\/$/, '');
      }
    } else {
      for (const raw of f.text.split('\n')) {
        const line = raw.replace(/#.*/, '').trim();
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m && m[2] === 'bookworm') return m[1]!.replace(/\/$/, '');
      }
    }
  }
  return undefined;
}

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
