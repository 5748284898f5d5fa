// Choosing where builds run: docker when asked (or, by default, when a daemon answers),
// local otherwise. The choice and why are part of the result, not a guess.
import { KmatrixError } from '../core/errors.js';
import { resolveToolchainImage } from '../images/lookup.js';
import type { ProcessRunner } from '../process/runner.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import { connectDocker, describeUnavailable } from '../docker/client.js';
import { DockerRuntime, removeOrphans } from './docker.js';
import { LocalRuntime } from './local.js';
import type { Runtime, RuntimeKind } from './runtime.js';

export type RuntimeChoice = RuntimeKind | 'auto';

export interface SelectedRuntime {
  runtime: Runtime;
  /** One line for the user: which runtime and why. */
  note: string;
}

export interface SelectOptions {
  env: NodeJS.ProcessEnv;
  toolchain: ToolchainName;
  runner: ProcessRunner;
  /** Run in this image instead of kmatrix/<toolchain>:latest. */
  imageRef?: string;
  memoryBytes?: number;
  cpus?: number;
  /** Extra labels on every container (a queue worker's job id and attempt). */
  labels?: Record<string, string>;
}

export async function selectRuntime(
  choice: RuntimeChoice,
  opts: SelectOptions,
): Promise<SelectedRuntime> {
  if (choice === 'local') {
    return {
      runtime: new LocalRuntime(opts.runner, opts.env),
      note: 'runtime: local (host toolchains), as requested',
    };
  }
  const conn = await connectDocker(opts.env);
  if (conn.kind === 'unavailable') {
    if (choice === 'docker') {
      throw new KmatrixError(
        'docker-unavailable',
        '--runtime docker: no Docker daemon answers',
        `${describeUnavailable(conn.tried)}\nstart one with scripts/docker-up.sh and export the DOCKER_HOST it prints, or use --runtime local`,
      );
    }
    const why = conn.tried.map((t) => t.host).join(', ');
    return {
      runtime: new LocalRuntime(opts.runner, opts.env),
      note: `runtime: local (host toolchains): no Docker daemon answers at ${why}`,
    };
  }
  const image = await resolveToolchainImage(conn.docker, opts.toolchain, opts.imageRef);
  const runtime = new DockerRuntime({
    docker: conn.docker,
    image: image.ref,
    imageId: image.id,
    dockerHost: conn.endpoint.host,
    serverVersion: conn.serverVersion,
    ...(opts.memoryBytes ? { memoryBytes: opts.memoryBytes } : {}),
    ...(opts.cpus ? { cpus: opts.cpus } : {}),
    ...(opts.labels ? { labels: opts.labels } : {}),
  });
  const how = choice === 'docker' ? 'as requested' : 'a daemon answers';
  const removed = await removeOrphans(conn.docker).catch(() => []);
  const swept = removed.length
    ? `; removed ${removed.length} container(s) left by killed kmatrix processes: ${removed.join(', ')}`
    : '';
  return {
    runtime,
    note: `runtime: docker (${image.ref} ${image.id.slice(0, 19)} via ${conn.endpoint.host}; ${how})${swept}`,
  };
}
