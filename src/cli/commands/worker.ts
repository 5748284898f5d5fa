// `kmatrix worker`: this machine becomes a build host for queue runs (`kmatrix run --executor
// queue`), until SIGINT/SIGTERM; and `kmatrix workers`: who is connected and what they run.
import { hostname, totalmem } from 'node:os';
import { Option, type Command } from 'commander';
import { KmatrixError } from '../../core/errors.js';
import { renderFarm, workerReporter } from '../../report/workers.js';
import type { RuntimeChoice } from '../../runtime/select.js';
import { REDIS_URL_ENV } from '../../queue/url.js';
import { interruptible, type CliIo } from '../io.js';
import {
  cacheDirOption,
  collect,
  cpuCount,
  jsonOption,
  labelOption,
  noCcacheOption,
  redisOption,
  runtimeOption,
  sizeOption,
  wholeNumberOption,
} from '../options.js';
import { kmatrixVersion } from '../version.js';

interface WorkerCliOptions {
  redis?: string;
  name?: string;
  cpus?: number;
  mem?: number;
  label: string[];
  runtime: RuntimeChoice;
  allowSource: string[];
  cacheDir: string;
  ccache: boolean;
  json?: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function redisUrlOf(flag: string | undefined, io: CliIo): string {
  const url = flag ?? (io.env[REDIS_URL_ENV] || undefined);
  if (!url)
    throw new KmatrixError(
      'usage',
      `no queue to work for: give --redis URL or set ${REDIS_URL_ENV}`,
    );
  return url;
}

export function registerWorker(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('worker')
    .description(
      'work for queue runs: take cells from the Redis queue when they fit this machine, run them, return their files',
    )
    .addOption(
      redisOption(
        `the queue's Redis: redis://HOST:PORT, rediss://..., unix:///PATH (default $${REDIS_URL_ENV})`,
      ),
    )
    .addOption(
      new Option(
        '--name <name>',
        "this worker's name, unique in the queue (default: the host name)",
      ).argParser((v: string) => {
        if (!NAME.test(v))
          throw new KmatrixError(
            'usage',
            `bad --name ${JSON.stringify(v)}: expected letters, digits, ".", "_", "-" (at most 64)`,
          );
        return v;
      }),
    )
    .addOption(wholeNumberOption('--cpus <n>', 'CPUs this worker offers (default: all)'))
    .addOption(sizeOption('--mem <size>', 'memory this worker offers: 512M, 16G (default: all)'))
    .addOption(labelOption('a label cells may ask for: arch=arm64 (repeatable)'))
    .addOption(runtimeOption('where builds run: auto, docker, local', 'auto'))
    .option(
      '--allow-source <glob>',
      "build only sources matching one of these (repeatable, * globs), e.g. 'git:https://git.kernel.org/*'; default: Debian's and those on this machine's disk",
      collect,
      [],
    )
    .addOption(cacheDirOption(io))
    .addOption(noCcacheOption())
    .addOption(jsonOption('print every worker event as a JSON line on stdout'))
    .action(async (raw: WorkerCliOptions) => {
      const url = redisUrlOf(raw.redis, io);
      const { runWorker } = await import('../../run/worker.js');
      const host = hostname();
      await interruptible(io.signal, (signal) =>
        runWorker({
          redisUrl: url,
          env: io.env,
          cacheDir: raw.cacheDir,
          ccache: raw.ccache,
          name: raw.name ?? host,
          host,
          cpus: raw.cpus ?? cpuCount(),
          memBytes: raw.mem ?? totalmem(),
          labels: raw.label,
          runtime: raw.runtime,
          allowSources: raw.allowSource,
          version: kmatrixVersion(),
          signal,
          emit: workerReporter(io.stderr, raw.json ? io.stdout : undefined),
        }),
      );
      // Stopped by SIGINT/SIGTERM, its running cells handed back: a clean stop.
      setExit(0);
    });

  program
    .command('workers')
    .description('list the queue workers: capacity, labels, what each runs; and the queues')
    .addOption(redisOption(`the queue's Redis (default $${REDIS_URL_ENV})`))
    .addOption(jsonOption('print {schema, redis, workers, queues} as JSON'))
    .action(async (raw: { redis?: string; json?: boolean }) => {
      const url = redisUrlOf(raw.redis, io);
      const { describeFarm } = await import('../../run/farm.js');
      const farm = await describeFarm(url, io.env);
      io.stdout.write(raw.json ? JSON.stringify(farm, null, 2) + '\n' : renderFarm(farm));
      setExit(0);
    });
}
