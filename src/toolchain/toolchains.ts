// Toolchains as data: which make variables select them, which host commands and
// Debian packages they need for a given arch, and how to ask them their version.
import type { Arch } from '../arch/arches.js';

export type ToolchainName = 'gcc' | 'clang';
export const TOOLCHAINS: readonly ToolchainName[] = ['gcc', 'clang'];

export function isToolchainName(s: string): s is ToolchainName {
  return (TOOLCHAINS as readonly string[]).includes(s);
}

/** make variables (NAME=value) that select this toolchain for this arch. */
export function toolchainMakeVars(arch: Arch, toolchain: ToolchainName): string[] {
  const vars = [`ARCH=${arch.arch}`];
  switch (toolchain) {
    case 'gcc':
      vars.push(`CROSS_COMPILE=${arch.triplet}-`);
      break;
    case 'clang':
      // LLVM=1 uses clang, ld.lld and the llvm binutils; CROSS_COMPILE picks clang's --target.
      vars.push('LLVM=1', `CROSS_COMPILE=${arch.triplet}-`);
      break;
  }
  return vars;
}

/** The compiler command make will run, to check it exists before starting. */
export function compilerCommand(arch: Arch, toolchain: ToolchainName): string {
  return toolchain === 'gcc' ? `${arch.triplet}-gcc` : 'clang';
}

/** Debian packages that provide the toolchain for this arch (for error hints and images). */
export function toolchainPackages(arch: Arch, toolchain: ToolchainName): string[] {
  return toolchain === 'gcc' ? [arch.gccPackage] : ['clang', 'lld', 'llvm', arch.binutilsPackage];
}

/** The first line of `<cc> --version`, e.g. "aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0". */
export async function compilerVersionText(
  runner: {
    run(file: string, args: readonly string[]): Promise<{ stdout: string; failed: boolean }>;
  },
  arch: Arch,
  toolchain: ToolchainName,
): Promise<string | undefined> {
  const r = await runner.run(compilerCommand(arch, toolchain), ['--version']);
  return r.failed ? undefined : r.stdout.split('\n')[0]?.trim();
}
