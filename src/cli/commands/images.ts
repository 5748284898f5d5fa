// `kmatrix images build|list`: the toolchain images the docker runtime runs builds in.
import type { Command } from 'commander';
import { KmatrixError } from '../../core/errors.js';
import { execaRunner } from '../../process/runner.js';
import { buildToolchainImage } from '../../image-build/build.js';
import { listImages } from '../../image-build/list.js';
import { imageEventLine, renderImageList } from '../../report/images.js';
import { connectDocker, describeUnavailable } from '../../docker/client.js';
import { TOOLCHAINS, isToolchainName, type ToolchainName } from '../../toolchain/toolchains.js';
import type { CliIo } from '../io.js';
import { jsonOption } from '../options.js';

async function requireDocker(env: NodeJS.ProcessEnv) {
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

function parseToolchains(value: string | undefined): ToolchainName[] {
  if (value === undefined || value === 'all') return [...TOOLCHAINS];
  const out: ToolchainName[] = [];
  for (const t of value.split(',')) {
    if (!isToolchainName(t))
      throw new KmatrixError(
        'usage',
        `unknown toolchain ${JSON.stringify(t)} (--toolchain); accepted: ${TOOLCHAINS.join(', ')}, all`,
      );
    out.push(t);
  }
  return out;
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
    .addOption(jsonOption('print the built images as JSON'))
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
            emit: (e) => {
              const line = imageEventLine(e, opts.verbose ?? false);
              if (line !== undefined) io.stderr.write(`${line}\n`);
            },
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
    .addOption(jsonOption('print JSON'))
    .action(async (opts: { json?: boolean }) => {
      const conn = await requireDocker(io.env);
      const rows = await listImages(conn.docker, conn.serverVersion);
      io.stdout.write(opts.json ? JSON.stringify(rows, null, 2) + '\n' : renderImageList(rows));
      setExit(0);
    });
}
