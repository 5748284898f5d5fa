// The architectures kmatrix knows, as data: kernel ARCH/SRCARCH, Debian's cross
// compiler prefix and package, the defconfig target and the default image target.

export interface Arch {
  /** kmatrix's name for it (what users type). */
  name: string;
  /** make ARCH= */
  arch: string;
  /** arch/<srcarch>/ in the tree (what Kconfig's $(SRCARCH) expands to). */
  srcarch: string;
  /** Debian multiarch triplet; the cross tools are `${triplet}-gcc` etc. */
  triplet: string;
  /** Debian package providing the gcc cross compiler. */
  gccPackage: string;
  /** Debian package for binutils (needed by the LLVM toolchain's assembler fallbacks). */
  binutilsPackage: string;
  /**
   * Debian's libc dev package for the triplet. Without it the compiler cannot link userspace
   * programs, Kconfig's CC_CAN_LINK probe says n, and a build in the image would silently
   * change a config generated on a host that has it.
   */
  libcPackage: string;
  /**
   * Debian's libgcc dev package for the triplet (crtbegin.o, libgcc.a). gcc pulls it in; the
   * clang image installs it beside libcPackage so clang can link userspace for the arch too.
   */
  libgccPackage: string;
  /** make target that produces the arch's default config. */
  defconfigTarget: string;
  /** make target for the bootable image (what `--targets kernel` builds). */
  imageTarget: string;
  /** Path of the image in the output dir after a build. */
  imagePath: string;
  /** Does the arch build device trees (`--targets dtbs`)? */
  hasDtbs: boolean;
  aliases: readonly string[];
}

const table: readonly Arch[] = [
  {
    name: 'x86_64',
    arch: 'x86_64',
    srcarch: 'x86',
    triplet: 'x86_64-linux-gnu',
    gccPackage: 'gcc',
    binutilsPackage: 'binutils',
    libcPackage: 'libc6-dev',
    libgccPackage: 'libgcc-12-dev',
    defconfigTarget: 'defconfig',
    imageTarget: 'bzImage',
    imagePath: 'arch/x86/boot/bzImage',
    hasDtbs: false,
    aliases: ['amd64', 'x86-64'],
  },
  {
    name: 'i386',
    arch: 'i386',
    srcarch: 'x86',
    triplet: 'i686-linux-gnu',
    gccPackage: 'gcc-i686-linux-gnu',
    binutilsPackage: 'binutils-i686-linux-gnu',
    libcPackage: 'libc6-dev-i386-cross',
    libgccPackage: 'libgcc-12-dev-i386-cross',
    defconfigTarget: 'defconfig',
    imageTarget: 'bzImage',
    imagePath: 'arch/x86/boot/bzImage',
    hasDtbs: false,
    aliases: ['x86', 'i686'],
  },
  {
    name: 'armhf',
    arch: 'arm',
    srcarch: 'arm',
    triplet: 'arm-linux-gnueabihf',
    gccPackage: 'gcc-arm-linux-gnueabihf',
    binutilsPackage: 'binutils-arm-linux-gnueabihf',
    libcPackage: 'libc6-dev-armhf-cross',
    libgccPackage: 'libgcc-12-dev-armhf-cross',
    defconfigTarget: 'defconfig',
    imageTarget: 'zImage',
    imagePath: 'arch/arm/boot/zImage',
    hasDtbs: true,
    aliases: ['arm'],
  },
  {
    name: 'armel',
    arch: 'arm',
    srcarch: 'arm',
    triplet: 'arm-linux-gnueabi',
    gccPackage: 'gcc-arm-linux-gnueabi',
    binutilsPackage: 'binutils-arm-linux-gnueabi',
    libcPackage: 'libc6-dev-armel-cross',
    libgccPackage: 'libgcc-12-dev-armel-cross',
    defconfigTarget: 'defconfig',
    imageTarget: 'zImage',
    imagePath: 'arch/arm/boot/zImage',
    hasDtbs: true,
    aliases: [],
  },
  {
    name: 'arm64',
    arch: 'arm64',
    srcarch: 'arm64',
    triplet: 'aarch64-linux-gnu',
    gccPackage: 'gcc-aarch64-linux-gnu',
    binutilsPackage: 'binutils-aarch64-linux-gnu',
    libcPackage: 'libc6-dev-arm64-cross',
    libgccPackage: 'libgcc-12-dev-arm64-cross',
    defconfigTarget: 'defconfig',
    imageTarget: 'Image',
    imagePath: 'arch/arm64/boot/Image',
    hasDtbs: true,
    aliases: ['aarch64'],
  },
  {
    name: 's390',
    arch: 's390',
    srcarch: 's390',
    triplet: 's390x-linux-gnu',
    gccPackage: 'gcc-s390x-linux-gnu',
    binutilsPackage: 'binutils-s390x-linux-gnu',
    libcPackage: 'libc6-dev-s390x-cross',
    libgccPackage: 'libgcc-12-dev-s390x-cross',
    defconfigTarget: 'defconfig',
    imageTarget: 'bzImage',
    imagePath: 'arch/s390/boot/bzImage',
    hasDtbs: false,
    aliases: ['s390x'],
  },
  {
    name: 'riscv64',
    arch: 'riscv',
    srcarch: 'riscv',
    triplet: 'riscv64-linux-gnu',
    gccPackage: 'gcc-riscv64-linux-gnu',
    binutilsPackage: 'binutils-riscv64-linux-gnu',
    libcPackage: 'libc6-dev-riscv64-cross',
    libgccPackage: 'libgcc-12-dev-riscv64-cross',
    defconfigTarget: 'defconfig',
    imageTarget: 'Image',
    imagePath: 'arch/riscv/boot/Image',
    hasDtbs: true,
    aliases: ['riscv'],
  },
  {
    name: 'powerpc64le',
    arch: 'powerpc',
    srcarch: 'powerpc',
    triplet: 'powerpc64le-linux-gnu',
    gccPackage: 'gcc-powerpc64le-linux-gnu',
    binutilsPackage: 'binutils-powerpc64le-linux-gnu',
    libcPackage: 'libc6-dev-ppc64el-cross',
    libgccPackage: 'libgcc-12-dev-ppc64el-cross',
    defconfigTarget: 'ppc64le_defconfig',
    imageTarget: 'vmlinux',
    imagePath: 'vmlinux',
    hasDtbs: false,
    aliases: ['ppc64le', 'ppc64el'],
  },
  {
    name: 'mips',
    arch: 'mips',
    srcarch: 'mips',
    triplet: 'mips-linux-gnu',
    gccPackage: 'gcc-mips-linux-gnu',
    binutilsPackage: 'binutils-mips-linux-gnu',
    libcPackage: 'libc6-dev-mips-cross',
    libgccPackage: 'libgcc-12-dev-mips-cross',
    defconfigTarget: 'defconfig',
    imageTarget: 'vmlinux',
    imagePath: 'vmlinux',
    hasDtbs: false,
    aliases: [],
  },
];

export const ARCHES: readonly Arch[] = table;

/**
 * gcc and libc dev for every arch (native for x86_64), in table order, no duplicates: what the
 * gcc image installs, and what scripts/setup.sh installs on the host (from the generated
 * scripts/cross-packages.txt) so that host Kconfig probes agree with the image.
 */
export function gccToolchainPackages(): string[] {
  return [...new Set(ARCHES.flatMap((a) => [a.gccPackage, a.libcPackage]))];
}

/**
 * libc and libgcc dev for every arch: what the clang image installs so that clang links
 * userspace for each arch as it does on a host with the gcc cross packages (CC_CAN_LINK).
 */
export function clangLinkPackages(): string[] {
  return [...new Set(ARCHES.flatMap((a) => [a.libcPackage, a.libgccPackage]))];
}

export function archNames(): string[] {
  return table.map((a) => a.name);
}

export function findArch(name: string): Arch | undefined {
  const n = name.toLowerCase();
  return table.find((a) => a.name === n || a.aliases.includes(n));
}

/** Every spelling accepted on the command line, for error messages. */
export function acceptedArchSpellings(): string {
  return table
    .map((a) => (a.aliases.length ? `${a.name} (${a.aliases.join(', ')})` : a.name))
    .join(', ');
}
