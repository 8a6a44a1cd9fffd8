import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineClockEnvironment } from './machine-clock.js';

/** The CLI as `npm run build` produces it and package.json's `bin` runs it. */
export const CLI = resolve(fileURLToPath(new URL('../../dist/cli/index.mjs', import.meta.url)));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the built CLI in a fresh process with exactly `env` (plus PATH), the way an operator's shell would,
 * with stdin a pipe (not a terminal) that delivers `input` and ends. Nothing silences the AWS SDK's
 * Node.js-version warning: the CLI does that itself. Asynchronous on purpose: the emulators
 * it talks to run in this process.
 */
export function runCli(args: string[], env: Record<string, string>, input = ''): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      ...machineClockEnvironment(),
      // Nothing from this machine's AWS configuration, and no instance-metadata probe for credentials.
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdin.end(input);
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}
