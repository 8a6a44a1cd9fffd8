import { describe, expect, it } from 'vitest';
import { useCliHarness } from './harness.js';

const LIST = { method: 'GET', path: '/v1/api-keys' } as const;

/** Every command ends by its deadline (--timeout, 10 minutes by default), whatever AWS or Factify do. */
describe('the CLI ends every command by its deadline', () => {
  const harness = useCliHarness();

  // Secrets Manager holds every DescribeSecret for ten minutes: the SDK's own timeouts and retries would
  // take the command well past a 3-second deadline.
  const hangSecretsManager = () =>
    harness.environment.secretsManager.failNext('DescribeSecret', { hangMs: 600_000, times: 100 });

  it.each([
    ['status', ['status', 'prod/factify', '--timeout', '3s']],
    ['status --json', ['status', 'prod/factify', '--json', '--timeout', '3s']],
    ['rotate --wait', ['rotate', 'prod/factify', '--wait', '--timeout', '3s']],
    ['recover', ['recover', 'prod/factify', '--yes', '--timeout', '3s']],
  ])('%s, when AWS never answers: exit 1 and a message naming the deadline', async (_name, argv) => {
    hangSecretsManager();

    const { code, stdout, stderr } = await harness.run(argv);

    expect(code).toBe(1);
    expect(stderr).toContain(`${argv[0]} did not finish within its deadline of 3 s (--timeout)`);
    if (argv.includes('--json')) {
      expect(JSON.parse(stdout)).toMatchObject({
        command: argv[0],
        error: { code: 'DEADLINE_EXCEEDED', exitCode: 1 },
      });
    } else {
      expect(stdout).toBe('');
    }
  });

  it('status, when Factify never answers: Factify is reported unchecked within the deadline', async () => {
    harness.environment.factify.inject({ ...LIST, kind: 'hang', times: 100 });

    const { code, stdout } = await harness.run(['status', 'prod/factify', '--timeout', '3s']);

    expect(code).toBe(1);
    expect(stdout).toMatch(/Factify +could not be checked/);
  });

  it('status, when the key listing never ends: the listing limit or the deadline, whichever comes first', async () => {
    harness.environment.factify.inject({ ...LIST, kind: 'endless-pages' });

    const { code, stdout, stderr } = await harness.run([
      'status',
      'prod/factify',
      '--json',
      '--timeout',
      '60s',
    ]);

    expect(code).toBe(1);
    const report = stdout === '' ? undefined : JSON.parse(stdout);
    const said = `${report?.factify?.error ?? ''}${stderr}`;
    expect(said).toMatch(
      /Stopped reading the Factify organization's API keys|did not finish within its deadline/,
    );
  });
});
