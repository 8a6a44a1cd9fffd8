import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../infra/support.js';
import { runCli } from '../support/cli-runner.js';
import { machineClockEnvironment } from '../support/machine-clock.js';
import { expectNoSecrets } from '../support/no-secrets.js';

/** The environment and alias lines the sandbox prints for the operator to paste. */
function pastedEnvironment(output: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, name, value] of output.matchAll(/^ {2}export (\w+)='([^']*)'$/gm)) {
    env[name as string] = value as string;
  }
  return env;
}

describe('npm run sandbox (demo --keep)', () => {
  it('keeps the emulators up with a healthy and a stuck secret, and prints the environment to try each command by hand', async () => {
    const sandbox = spawn(join(REPO_ROOT, 'node_modules/.bin/tsx'), ['scripts/demo.ts', '--keep'], {
      cwd: REPO_ROOT,
      // The machine's clock, moved or not: the CLI this test runs reads it too.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...machineClockEnvironment() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    sandbox.stdout.on('data', (chunk) => {
      output += chunk;
    });
    sandbox.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => sandbox.on('close', resolve));
    try {
      while (!output.includes('Press Ctrl-C')) {
        if (sandbox.exitCode !== null) throw new Error(`the sandbox stopped early:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const env = pastedEnvironment(output);
      expect(Object.keys(env)).toEqual(
        expect.arrayContaining(['AWS_REGION', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'FACTIFY_API_URL']),
      );
      expect(output).toMatch(/^ {2}unset AWS_PROFILE/m);
      expect(output).toMatch(/^ {2}alias factify-rotation='node \/\S+\/dist\/cli\/index\.mjs'$/m);

      expect((await runCli(['status', 'prod/factify'], env)).code).toBe(0);
      expect((await runCli(['status', 'prod/stuck'], env)).code).toBe(5);
      const recovered = await runCli(['recover', 'prod/stuck', '--yes'], env);
      expect(recovered.stdout).toContain('Status: healthy');
      expect(recovered.code).toBe(0);
      const rotated = await runCli(['rotate', 'prod/stuck', '--wait'], env);
      expect(rotated.stdout).toContain('Rotation finished.');
    } finally {
      sandbox.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('Stopping the emulators.');
    expectNoSecrets(output);
  }, 120_000);
});
