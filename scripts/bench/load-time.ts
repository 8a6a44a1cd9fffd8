import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { median } from './stats.js';

export interface LoadTime {
  readonly runs: number;
  /** Median wall time of `node -e 0`. */
  readonly bareMs: number;
  /** Median wall time of a fresh `node` that imports the bundle and exits. */
  readonly bundleMs: number;
  readonly ratio: number;
}

export interface LoadTimes {
  /** In the environment the benchmark runs in (less NODE_OPTIONS), as the budget was set. */
  readonly inherited: LoadTime;
  /**
   * With PATH and HOME alone, as Lambda has no NODE_OPTIONS or NODE_EXTRA_CA_CERTS by default (the latter
   * costs every Node.js start ~40 ms here).
   */
  readonly clean: LoadTime;
}

/** Each spawn may take this long before the benchmark gives up (a hung process must not hang the bench). */
const SPAWN_TIMEOUT_MS = 30_000;

function timeSpawn(args: string[], env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: SPAWN_TIMEOUT_MS,
    env: { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new Error(`node ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}`);
  }
  return elapsed;
}

/**
 * Time to start Node.js and load the bundle, against starting Node.js alone (`node -e 0`), in two
 * environments: `runs` of each of the four, interleaved so that drift in the machine's load affects all
 * alike, after one warm-up of each (page cache). Medians.
 */
export function measureLoadTime(bundle: string, runs: number): LoadTimes {
  const bare = ['-e', '0'];
  const load = ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(bundle).href)});`];
  const { NODE_OPTIONS: _ignored, ...inherited } = process.env;
  const clean = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const cases = [
    [bare, inherited],
    [load, inherited],
    [bare, clean],
    [load, clean],
  ] as const;
  for (const [args, env] of cases) timeSpawn([...args], env);
  const times: number[][] = cases.map(() => []);
  for (let run = 0; run < runs; run++) {
    cases.forEach(([args, env], index) => {
      times[index]?.push(timeSpawn([...args], env));
    });
  }
  const figure = (bareTimes: number[], loadTimes: number[]): LoadTime => {
    const bareMs = median(bareTimes);
    const bundleMs = median(loadTimes);
    return { runs, bareMs, bundleMs, ratio: bundleMs / bareMs };
  };
  const [a = [], b = [], c = [], d = []] = times;
  return { inherited: figure(a, b), clean: figure(c, d) };
}

export interface BundleSize {
  readonly rawBytes: number;
  readonly gzipBytes: number;
}

export function measureBundleSize(bundle: string): BundleSize {
  return { rawBytes: statSync(bundle).size, gzipBytes: gzipSync(readFileSync(bundle), { level: 9 }).length };
}
