// Real-Docker test helpers: the daemon .ci/run started (DOCKER_HOST), failing loudly when
// none answers, and the check that no kmatrix container outlived its command.
import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { connectDocker, describeUnavailable } from '../../../src/docker/client.js';
import { MANAGED_LABEL } from '../../../src/runtime/docker.js';

export async function requireDaemon(): Promise<{ docker: Docker; host: string; version: string }> {
  const conn = await connectDocker(process.env);
  if (conn.kind === 'unavailable') {
    throw new Error(
      `slow tests need a Docker daemon (start it with scripts/docker-up.sh and export DOCKER_HOST):\n${describeUnavailable(conn.tried)}`,
    );
  }
  return { docker: conn.docker, host: conn.endpoint.host, version: conn.serverVersion };
}

/** Label of every container this test process starts (others may share the daemon). */
export const TEST_RUN_LABELS = { 'org.kmatrix.test-run': randomUUID() };

/** Containers kmatrix started for this test run that still exist (running or not). */
export async function kmatrixContainers(docker: Docker): Promise<Docker.ContainerInfo[]> {
  const label = Object.entries(TEST_RUN_LABELS).map(([k, v]) => `${k}=${v}`);
  return docker.listContainers({ all: true, filters: { label: [MANAGED_LABEL, ...label] } });
}
