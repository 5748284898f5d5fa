// Listing kmatrix's toolchain images on the daemon, each with the compiler version it reports
// (run in a throwaway container through the docker runtime).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { imageSpec, TOOLCHAIN_LABEL } from '../images/spec.js';
import { DockerRuntime } from '../runtime/docker.js';

export interface ImageRow {
  tag: string;
  id: string;
  created: string;
  sizeBytes: number;
  toolchain: string;
  compilerVersion: string;
}

/** kmatrix images on the daemon, with the compiler version each one reports. */
export async function listImages(docker: Docker, serverVersion = '?'): Promise<ImageRow[]> {
  const infos = await docker.listImages({ filters: { label: [TOOLCHAIN_LABEL] } });
  const rows: ImageRow[] = [];
  for (const info of infos) {
    const toolchain = info.Labels?.[TOOLCHAIN_LABEL] ?? '?';
    const tags = (info.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    if (tags.length === 0) continue; // superseded builds: not what kmatrix would run
    rows.push({
      tag: tags.join(','),
      id: info.Id,
      created: new Date(info.Created * 1000).toISOString(),
      sizeBytes: info.Size,
      toolchain,
      compilerVersion: await compilerVersionIn(docker, info.Id, toolchain, serverVersion),
    });
  }
  return rows.sort((a, b) => a.tag.localeCompare(b.tag));
}

async function compilerVersionIn(
  docker: Docker,
  id: string,
  toolchain: string,
  serverVersion: string,
): Promise<string> {
  const cmd =
    toolchain === 'gcc' || toolchain === 'clang' ? imageSpec(toolchain).versionCommand : undefined;
  if (!cmd) return '?';
  const rt = new DockerRuntime({ docker, image: id, imageId: id, dockerHost: '', serverVersion });
  // The runtime always mounts a source and an out dir; an empty one serves for both.
  // It must be readable by the unprivileged build user (mkdtemp makes it 0700).
  const dir = await mkdtemp(join(tmpdir(), 'kmatrix-ver-'));
  try {
    await chmod(dir, 0o755);
    const o = await rt.run(
      { source: dir, out: dir },
      { argv: cmd, capture: true, timeoutMs: 30_000 },
    );
    return o.kind === 'pass' ? (o.output.split('\n')[0] ?? '').trim() : `? (${o.kind})`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
