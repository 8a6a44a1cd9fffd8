import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-runner.js';
import { useCliHarness } from './harness.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

/** Help and version need no AWS: they run with an empty environment. */
describe('factify-rotation help and version', () => {
  const run = (args: string[]) => runCli(args, {});

  it.each([
    ['status', ['status', '--help']],
    ['status', ['status', 'prod/factify', '-h']],
    ['rotate', ['rotate', '--help']],
    ['recover', ['recover', '-h']],
    ['status', ['help', 'status']],
    ['rotate', ['help', 'rotate']],
    ['recover', ['help', 'recover']],
  ])("prints the %s command's own help for %j (exit 0)", async (command, args) => {
    const { code, stdout, stderr } = await run(args);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(new RegExp(`^Usage: factify-rotation ${command} <secret-id>`));
    // Not the global help: no list of the other commands.
    expect(stdout).not.toContain('Commands:');
  });

  it("documents each command's own options in its help", async () => {
    expect((await run(['rotate', '--help'])).stdout).toMatch(/--timeout <duration>.*90s, 15m or 1h/s);
    expect((await run(['recover', '--help'])).stdout).toContain('--force');
    expect((await run(['status', '--help'])).stdout).toContain('--function <name|arn>');
    // Every command has a deadline (issue 16).
    expect((await run(['status', '--help'])).stdout).toMatch(/--timeout <duration>.*deadline/s);
  });

  it.each([[['help']], [['--help']], [[]]])('prints the global help for %j (exit 0)', async (args) => {
    const { code, stdout } = await run(args);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: factify-rotation <command>/);
    expect(stdout).toMatch(/Commands:\n {2}status/);
    expect(stdout).toContain('factify-rotation help <command>');
  });

  it('refuses help for a command that does not exist (exit 2)', async () => {
    const { code, stdout, stderr } = await run(['help', 'rotat']);

    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/^Unknown command "rotat"\. Commands: status, rotate, recover, help\./);
  });

  it("prints the package's version with --version (exit 0)", async () => {
    expect(await run(['--version'])).toEqual({
      code: 0,
      stdout: `factify-rotation ${version}\n`,
      stderr: '',
    });
    expect(JSON.parse((await run(['--version', '--json'])).stdout)).toEqual({
      schemaVersion: 1,
      command: 'version',
      version,
    });
  });
});

describe('factify-rotation durations', () => {
  const harness = useCliHarness();

  it('refuses a --timeout without a unit, before calling AWS (exit 2)', async () => {
    const { code, stdout, stderr } = await harness.run([
      'rotate',
      'prod/factify',
      '--wait',
      '--timeout',
      '10',
    ]);

    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/^--timeout needs a unit: 10s, 10m or 10h, not "10"\./);
    expect(stderr).toContain('Run `npx factify-rotation rotate --help` for usage.');
    expect(harness.environment.secretsManager.calls).toEqual([]);
  });
});

describe('factify-rotation and the AWS SDK', () => {
  const harness = useCliHarness();

  it(`prints no AWS SDK Node.js-version warning, on Node.js ${process.versions.node} too, without the user silencing it`, async () => {
    // The runner passes no AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: the CLI must not need it.
    const status = await harness.run(['status', 'prod/factify']);
    const rotate = await harness.run(['rotate', 'prod/factify']);

    expect(status.code).toBe(0);
    expect(rotate.code).toBe(0);
    expect(status.stderr + rotate.stderr).toBe('');
    await harness.environment.secretsManager.waitForRotation(harness.seeded.arn, 30_000);
  });
});
