// `kmatrix images build|list`: the toolchain images the docker runtime runs builds in.
import type { Command } from 'commander';
import { KmatrixError, unreachable } from '../../core/errors.js';
import { execaRunner } from '../../process/runner.js';
import { buildToolchainImage, type ImageEvent } from '../../image-build/build.js';
import { listImages } from '../../image-build/list.js';
import { connectDocker, describeUnavailable } from '../../docker/client.js';
import { TOOLCHAINS, isToolchainName, type ToolchainName } from '../../toolchain/toolchains.js';
import type { CliIo } from '../io.js';

export async function requireDocker(env: NodeJS.ProcessEnv) {
  const conn = await connectDocker(env);
  if (conn.kind === 'unavailable') {
    throw new KmatrixError(
      'docker-unavailable',
      'no Docker daemon answers',
      `${describeUnavailable(conn.tried)}\nstart one with scripts/docker-up.sh and export the DOCKER_HOST it prints`,
    );
  }
  return conn;
}

function renderImageEvent(e: ImageEvent, io: CliIo, verbose: boolean): void {
  switch (e.kind) {
    case 'base-present':
      io.stderr.write(`base image ${e.image} present (${e.id.slice(0, 19)})\n`);
      return;
    case 'base-pull-failed':
      io.stderr.write(`base image ${e.image} not present and cannot be pulled: ${e.reason}\n`);
      return;
    case 'base-debootstrap':
      io.stderr.write(
        `creating ${e.image} locally: debootstrap --variant=minbase bookworm from ${e.mirror}\n`,
      );
      return;
    case 'base-imported':
      io.stderr.write(
        `imported debootstrapped ${e.image} as ${e.id.slice(0, 19)} (${e.seconds.toFixed(0)}s)\n`,
      );
      return;
    case 'build-start':
      io.stderr.write(`building ${e.tag}\n`);
      return;
    case 'build-output':
      if (verbose || e.line.startsWith('Step ')) io.stderr.write(`  ${e.line}\n`);
      return;
    case 'build-done':
      io.stderr.write(`built ${e.tag} ${e.id} (${e.seconds.toFixed(0)}s)\n`);
      return;
    default:
      unreachable(e);
  }
}

function parseToolchains(value: string | undefined): ToolchainName[] {
  if (value === undefined || value === 'all') return [...TOOLCHAINS];
  const out: ToolchainName[] = [];
  for (const t of value.split(',')) {
    if (!isToolchainName(t))
      throw new KmatrixError(
        'usage',
        `unknown toolchain ${JSON.stringify(t)}`,
        `allowed: ${TOOLCHAINS.join(', ')}, all`,
      );
    out.push(t);
  }
  return out;
}

function humanSize(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(0)} MB`;
}

export function registerImages(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const images = program
    .command('images')
    .description('build and list the toolchain images for the docker runtime');

  images
    .command('build')
    .description(
      'build kmatrix/gcc and kmatrix/clang (debootstraps debian:bookworm-slim when it cannot be pulled)',
    )
    .option('--toolchain <list>', `gcc, clang or all (comma-separated)`, 'all')
    .option('--verbose', 'show every line of the docker build output')
    .option('--json', 'print the built images as JSON')
    .action(async (opts: { toolchain?: string; verbose?: boolean; json?: boolean }) => {
      const toolchains = parseToolchains(opts.toolchain);
      const conn = await requireDocker(io.env);
      io.stderr.write(`docker daemon ${conn.serverVersion} at ${conn.endpoint.host}\n`);
      const built = [];
      for (const tc of toolchains) {
        built.push(
          await buildToolchainImage(tc, {
            docker: conn.docker,
            runner: execaRunner,
            emit: (e) => renderImageEvent(e, io, opts.verbose ?? false),
          }),
        );
      }
      if (opts.json) io.stdout.write(JSON.stringify(built, null, 2) + '\n');
      else for (const b of built) io.stdout.write(`${b.tag}\t${b.id}\n`);
      setExit(0);
    });

  images
    .command('list')
    .description('list the toolchain images on the daemon')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const conn = await requireDocker(io.env);
      const rows = await listImages(conn.docker, conn.serverVersion);
      if (opts.json) {
        io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      } else if (rows.length === 0) {
        io.stdout.write('no kmatrix images; run `kmatrix images build`\n');
      } else {
        const table = [['TAG', 'ID', 'CREATED', 'SIZE', 'TOOLCHAIN', 'COMPILER']];
        for (const r of rows)
          table.push([
            r.tag,
            r.id.replace('sha256:', '').slice(0, 12),
            r.created,
            humanSize(r.sizeBytes),
            r.toolchain,
            r.compilerVersion,
          ]);
        const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
        for (const row of table)
          io.stdout.write(
            row
              .map((c, i) => c.padEnd(widths[i]!))
              .join('  ')
              .trimEnd() + '\n',
          );
      }
      setExit(0);
    });
}
