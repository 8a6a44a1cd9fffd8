import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE, forkFunctionProcess } from '../../test/support/lambda-runtime.js';
import { FUNCTION_ARN } from '../../test/support/rotation-environment.js';

const RUNNER = fileURLToPath(new URL('./warm-lambda-runner.mjs', import.meta.url));
/** How long the process may take to import the bundle before the benchmark gives up on it. */
const READY_TIMEOUT_MS = 30_000;
/** Time the parent allows beyond an invocation's own timeout before it reports it as timed out. */
const INVOKE_GRACE_MS = 5_000;

export interface WarmInvocation {
  readonly ok: boolean;
  readonly durationMs: number;
  readonly error?: { errorType: string; errorMessage: string; code?: string };
  readonly timedOut?: boolean;
}

export interface WarmStats {
  /** Time to import the bundle inside the process. */
  readonly importMs: number;
  /** process.resourceUsage().maxRSS: the process's peak resident set, in KiB. */
  readonly maxRssKb: number;
  /** User plus system CPU time the process used so far. */
  readonly cpuMs: number;
  /** Client TCP connections the process opened so far. */
  readonly connections: number;
}

export interface WarmLambda {
  /** Invokes the handler with a context whose deadline is `timeoutMs` away. */
  invoke(event: unknown, timeoutMs: number): Promise<WarmInvocation>;
  stats(): Promise<WarmStats>;
  close(): Promise<void>;
}

/**
 * Starts one process that imports the built bundle and keeps it loaded, like a warm Lambda container.
 * `env` is the function's whole environment (plus PATH).
 */
export async function startWarmLambda(env: Record<string, string>): Promise<WarmLambda> {
  const logDir = mkdtempSync(join(tmpdir(), 'warm-lambda-'));
  const logFile = join(logDir, 'output.log');
  const logFd = openSync(logFile, 'w');
  // The function's output goes to a file, not a pipe: stdout to a pipe is synchronous on Linux, so a pipe
  // drained by this busy process (it also runs the emulators) would stall the function on every log line.
  // Lambda's log pipe is drained by a process of its own.
  const child = forkFunctionProcess(
    RUNNER,
    { ...env, WARM_LAMBDA_RUNNER: JSON.stringify({ bundle: BUNDLE, functionArn: FUNCTION_ARN }) },
    ['ignore', logFd, logFd, 'ipc'],
  );
  closeSync(logFd);
  const lastLines = (count: number): string =>
    readFileSync(logFile, 'utf8').split('\n').filter(Boolean).slice(-count).join('\n');

  const pending = new Map<string, (invocation: WarmInvocation) => void>();
  let statsWaiter: ((stats: WarmStats) => void) | undefined;
  let nextId = 0;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('The warm Lambda process did not start')),
      READY_TIMEOUT_MS,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The warm Lambda process exited (${code}): ${lastLines(5)}`));
    });
    child.on('message', (message: { type: string; id?: string } & Record<string, unknown>) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve();
      } else if (message.type === 'result' && message.id !== undefined) {
        pending.get(message.id)?.(message as unknown as WarmInvocation);
        pending.delete(message.id);
      } else if (message.type === 'stats') {
        statsWaiter?.(message as unknown as WarmStats);
        statsWaiter = undefined;
      }
    });
  });
  await ready;

  return {
    invoke(event, timeoutMs) {
      const id = `bench-${++nextId}`;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({ ok: false, timedOut: true, durationMs: timeoutMs + INVOKE_GRACE_MS });
        }, timeoutMs + INVOKE_GRACE_MS);
        pending.set(id, (invocation) => {
          clearTimeout(timer);
          resolve(invocation);
        });
        child.send({ type: 'invoke', id, event, timeoutMs });
      });
    },
    stats() {
      return new Promise((resolve) => {
        statsWaiter = resolve;
        child.send({ type: 'stats' });
      });
    },
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.send({ type: 'exit' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}
