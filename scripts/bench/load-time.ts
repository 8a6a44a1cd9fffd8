import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
  /** On this Node.js, in the environment the benchmark runs in (less NODE_OPTIONS). */
  readonly inherited: LoadTime;
  /**
   * On this Node.js, with PATH and HOME alone, as Lambda has no NODE_EXTRA_CA_CERTS by default (it costs every
   * Node.js start ~40 ms here).
   */
  readonly clean: LoadTime;
  /**
   * On Lambda's runtime (Node.js 24), with PATH and HOME and, for the import, the function's own NODE_OPTIONS
   * as the construct sets them: the cold start the deployed function has. Undefined without that Node.js.
   */
  readonly lambda?: LoadTime & { readonly nodeVersion: string; readonly nodeOptions: string };
}

/** Each spawn may take this long before the benchmark gives up (a hung process must not hang the bench). */
const SPAWN_TIMEOUT_MS = 30_000;

interface Case {
  readonly node: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

function timeSpawn({ node, args, env }: Case): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(node, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: SPAWN_TIMEOUT_MS,
    env: { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${node} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}`);
  }
  return elapsed;
}

/**
 * Time to start Node.js and load the bundle, against starting Node.js alone (`node -e 0`): on this Node.js in
 * two environments, and on `lambdaRuntime` (Node.js 24) with the function's NODE_OPTIONS. `runs` of each case,
 * interleaved so that drift in the machine's load affects all alike, after one warm-up of each (page cache).
 * Medians.
 */
export function measureLoadTime(
  bundle: string,
  runs: number,
  lambdaRuntime?: { readonly node: string; readonly nodeOptions: string },
): LoadTimes {
  const bare = ['-e', '0'];
  const load = ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(bundle).href)});`];
  const { NODE_OPTIONS: _ignored, ...inherited } = process.env;
  const clean = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const here = process.execPath;
  const cases: Case[] = [
    { node: here, args: bare, env: inherited },
    { node: here, args: load, env: inherited },
    { node: here, args: bare, env: clean },
    { node: here, args: load, env: clean },
    ...(lambdaRuntime
      ? [
          { node: lambdaRuntime.node, args: bare, env: clean },
          {
            node: lambdaRuntime.node,
            args: load,
            env: { ...clean, NODE_OPTIONS: lambdaRuntime.nodeOptions },
          },
        ]
      : []),
  ];
  for (const spawn of cases) timeSpawn(spawn);
  const times: number[][] = cases.map(() => []);
  for (let run = 0; run < runs; run++) {
    cases.forEach((spawn, index) => {
      times[index]?.push(timeSpawn(spawn));
    });
  }
  const figure = (index: number): LoadTime => {
    const bareMs = median(times[index] ?? []);
    const bundleMs = median(times[index + 1] ?? []);
    return { runs, bareMs, bundleMs, ratio: bundleMs / bareMs };
  };
  return {
    inherited: figure(0),
    clean: figure(2),
    ...(lambdaRuntime
      ? {
          lambda: {
            ...figure(4),
            nodeVersion: spawnSync(lambdaRuntime.node, ['--version'], { encoding: 'utf8' }).stdout.trim(),
            nodeOptions: lambdaRuntime.nodeOptions,
          },
        }
      : {}),
  };
}

export interface BundleSize {
  readonly rawBytes: number;
  readonly gzipBytes: number;
}

/** The entry file and every chunk beside it: all the code the function ships. */
export function measureBundleSize(bundle: string): BundleSize {
  const dir = dirname(bundle);
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.mjs'))
    .map((file) => readFileSync(join(dir, file)));
  return {
    rawBytes: files.reduce((total, file) => total + file.length, 0),
    gzipBytes: files.reduce((total, file) => total + gzipSync(file, { level: 9 }).length, 0),
  };
}
