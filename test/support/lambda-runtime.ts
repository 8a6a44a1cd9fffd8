import { type ChildProcess, fork, type StdioOptions } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineClockEnvironment } from './machine-clock.js';

/** The artifact `npm run build` produces and the stack deploys. */
export const BUNDLE = resolve(fileURLToPath(new URL('../../dist/lambda/index.mjs', import.meta.url)));
const RUNNER = fileURLToPath(new URL('./lambda-runner.mjs', import.meta.url));

export interface Invocation {
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: {
    errorType: string;
    errorMessage: string;
    code?: string;
    /** The thrown error's own enumerable properties: what the Lambda runtime logs besides. */
    fields: string[];
  };
  readonly timedOut?: boolean;
  /** The process died before it could report (killed mid-invocation). */
  readonly killed?: boolean;
  /** The process's peak resident set (process.resourceUsage().maxRSS, KiB) when it reported. */
  readonly maxRssKb?: number;
  /** The Node.js version (process.version) the function's process ran on, when it reported. */
  readonly nodeVersion?: string;
  readonly output: string;
}

export interface RunningInvocation {
  readonly done: Promise<Invocation>;
  /** Ends the process at once, as when Lambda's host dies or the sandbox is recycled mid-invocation. */
  kill(): void;
}

/**
 * Runs one invocation of the built bundle in a fresh Node.js process, like a cold Lambda of `functionArn`.
 * `env` is the function's whole environment (plus PATH), so nothing leaks in from the test process.
 */
export function invokeBundle(
  event: unknown,
  env: Record<string, string>,
  functionArn: string,
  timeoutMs = 60_000,
): RunningInvocation {
  const child = forkFunctionProcess(
    RUNNER,
    {
      ...env,
      LAMBDA_RUNNER_INVOCATION: JSON.stringify({
        bundle: BUNDLE,
        event,
        timeoutMs,
        functionArn,
        requestId: randomUUID(),
      }),
    },
    ['ignore', 'pipe', 'pipe', 'ipc'],
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const done = new Promise<Invocation>((resolvePromise) => {
    let report: Omit<Invocation, 'output'> | undefined;
    child.on('message', (message) => {
      report = message as Omit<Invocation, 'output'>;
    });
    child.on('close', () => resolvePromise({ ...(report ?? { ok: false, killed: true }), output }));
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

/**
 * Forks `runner` as the function's process: a plain Node.js, as on Lambda, not this process's test-runner or
 * tsx flags and loaders (fork's default), which add their own start-up time and over 100 MB of memory; and
 * exactly `env` (plus PATH and the machine's clock), so nothing leaks in from this process.
 */
export function forkFunctionProcess(
  runner: string,
  env: Record<string, string>,
  stdio: StdioOptions,
): ChildProcess {
  return fork(runner, [], {
    execArgv: [],
    env: {
      PATH: process.env.PATH ?? '',
      ...machineClockEnvironment(),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
    stdio,
  });
}
