// A dockerd of the test's own (own socket, data root, exec root, pidfile; started by
// scripts/docker-up.sh with its env overrides) that the test may kill -9 and restart. The
// shared daemon others' tests use is never touched: images are copied into this one.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

const UP = resolve('scripts/docker-up.sh');
const DOWN = resolve('scripts/docker-down.sh');

export class PrivateDockerd {
  private constructor(readonly dir: string) {}

  /** Short paths: containerd's socket lives under the exec root (unix sockets: 108 bytes). */
  static async create(): Promise<PrivateDockerd> {
    return new PrivateDockerd(await mkdtemp('/tmp/kmf-dockerd-'));
  }

  get sock(): string {
    return join(this.dir, 'd.sock');
  }

  get host(): string {
    return `unix://${this.sock}`;
  }

  private get env(): Record<string, string> {
    return {
      KMATRIX_DOCKER_ROOT: join(this.dir, 'root'),
      KMATRIX_DOCKER_EXEC_ROOT: join(this.dir, 'exec'),
      KMATRIX_DOCKER_SOCK: this.sock,
      KMATRIX_DOCKER_PIDFILE: join(this.dir, 'd.pid'),
      KMATRIX_DOCKER_LOG: join(this.dir, 'd.log'),
    };
  }

  /** Start (or restart after a kill) and wait until it answers. */
  async start(): Promise<void> {
    await execa('bash', [UP], { env: this.env });
  }

  async pid(): Promise<number> {
    return Number((await readFile(join(this.dir, 'd.pid'), 'utf8')).trim());
  }

  /** kill -9 of dockerd (its containers' shims live on, as after a real crash). */
  async kill(): Promise<number> {
    const pid = await this.pid();
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return pid;
  }

  /** Copy an image from the shared daemon (`from`, a DOCKER_HOST) into this one. */
  async loadImage(ref: string, from: string): Promise<void> {
    // Once more on failure: the shared daemon may be re-tagging the image for someone else.
    for (let attempt = 1; ; attempt++) {
      try {
        // buffer: false, or execa would keep (and cap at maxBuffer) the image flowing through.
        await execa('docker', ['save', ref], { env: { DOCKER_HOST: from }, buffer: false }).pipe(
          'docker',
          ['-H', this.host, 'load', '-q'],
        );
        return;
      } catch (e) {
        if (attempt >= 2) throw e;
      }
    }
  }

  docker(args: string[]) {
    return execa('docker', ['-H', this.host, ...args], { reject: false });
  }

  /** Everything this daemon ran is removed, the daemon stopped, its mounts and dirs gone. */
  async destroy(): Promise<void> {
    // A daemon killed for good still has its containers' shims running: a restart ends them.
    if ((await this.docker(['version'])).exitCode !== 0) await this.start().catch(() => undefined);
    const ids = String((await this.docker(['ps', '-aq'])).stdout)
      .split('\n')
      .filter(Boolean);
    if (ids.length) await this.docker(['rm', '-f', ...ids]);
    await execa('bash', [DOWN], { env: this.env, reject: false });
    // dockerd bind-mounts its data root on itself and its network namespace under the exec
    // root; a killed one leaves those mounts behind. Deepest first.
    for (let i = 0; i < 10; i++) {
      const mounts = (await readFile('/proc/self/mounts', 'utf8'))
        .split('\n')
        .map((l) => l.split(' ')[1] ?? '')
        .filter((m) => m.startsWith(`${this.dir}/`))
        .sort((a, b) => b.length - a.length);
      if (mounts.length === 0) break;
      for (const m of mounts) await execa('umount', [m], { reject: false });
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
