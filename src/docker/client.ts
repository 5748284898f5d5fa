// Finding a Docker daemon that answers: DOCKER_HOST when set, else the usual socket and
// the one scripts/docker-up.sh starts. Returns a connected dockerode client or the
// reasons each candidate failed (an unreachable daemon is data, not a crash).
// dockerode is loaded on first connect: it costs ~150 ms of startup that commands working
// on the host (config, explain, bisect --require) should not pay.
import type Docker from 'dockerode';

/** The socket scripts/docker-up.sh starts dockerd on. */
export const KMATRIX_DOCKER_SOCK = '/run/kmatrix-docker.sock';

export interface DockerEndpoint {
  /** As the user would write it in DOCKER_HOST. */
  host: string;
  options: Docker.DockerOptions;
}

export type DockerConnection =
  | { kind: 'connected'; docker: Docker; endpoint: DockerEndpoint; serverVersion: string }
  | { kind: 'unavailable'; tried: { host: string; reason: string }[] };

/** Parse a DOCKER_HOST value (unix:// or tcp://) into dockerode options. Pure. */
export function parseDockerHost(value: string): DockerEndpoint | { error: string } {
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/')) return { error: `not an absolute socket path: ${value}` };
    return { host: value, options: { socketPath } };
  }
  const m = /^(tcp|http|https):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(value);
  if (m) {
    const protocol = m[1] === 'https' ? 'https' : 'http';
    return {
      host: value,
      options: { host: m[2], port: Number(m[3] ?? (protocol === 'https' ? 2376 : 2375)), protocol },
    };
  }
  if (value.startsWith('/')) return { host: `unix://${value}`, options: { socketPath: value } };
  return {
    error: `unsupported DOCKER_HOST ${JSON.stringify(value)} (use unix:///path or tcp://host:port)`,
  };
}

/** Which endpoints to try, in order. DOCKER_HOST, when set, is the only one. */
export function dockerCandidates(env: NodeJS.ProcessEnv): string[] {
  const fromEnv = env['DOCKER_HOST'];
  if (fromEnv) return [fromEnv];
  return ['unix:///var/run/docker.sock', `unix://${KMATRIX_DOCKER_SOCK}`];
}

export async function connectDocker(
  env: NodeJS.ProcessEnv,
  pingTimeoutMs = 5_000,
): Promise<DockerConnection> {
  const tried: { host: string; reason: string }[] = [];
  const { default: Docker } = await import('dockerode');
  for (const host of dockerCandidates(env)) {
    const endpoint = parseDockerHost(host);
    if ('error' in endpoint) {
      tried.push({ host, reason: endpoint.error });
      continue;
    }
    const docker = new Docker({ ...endpoint.options, timeout: pingTimeoutMs });
    try {
      const v = (await docker.version()) as { Version?: string };
      // Builds and runs stream for minutes: drop the ping timeout for real work.
      const client = new Docker(endpoint.options);
      return { kind: 'connected', docker: client, endpoint, serverVersion: v.Version ?? '?' };
    } catch (e) {
      tried.push({ host, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  return { kind: 'unavailable', tried };
}

/** One line per endpoint tried, for error details. */
export function describeUnavailable(tried: { host: string; reason: string }[]): string {
  return tried.map((t) => `${t.host}: ${t.reason}`).join('\n');
}
