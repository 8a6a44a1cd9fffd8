import { describe, expect, it } from 'vitest';
import { AN_HOUR_AGO, failRotationInTestSecret, seedOrphan, useCliHarness } from './harness.js';

/**
 * `--json` on every command: one document on stdout that starts with the schema's version and the command
 * (docs/operating.md#json-output), errors included, with the same exit code as without --json.
 */
describe('factify-rotation --json', () => {
  const harness = useCliHarness();
  const runJson = async (args: string[]) => {
    const result = await harness.run([...args, '--json']);
    return { ...result, json: JSON.parse(result.stdout) };
  };

  it('status: the report, under schemaVersion 1', async () => {
    const { seeded } = harness;

    const { code, json } = await runJson(['status', 'prod/factify']);

    expect(code).toBe(0);
    expect(json).toMatchObject({
      schemaVersion: 1,
      command: 'status',
      secret: { arn: seeded.arn, name: 'prod/factify' },
      verdict: 'healthy',
    });
    expect(Object.keys(json).slice(0, 2)).toEqual(['schemaVersion', 'command']);
  });

  it('status of several secrets: the most urgent verdict and each report, under schemaVersion 1', async () => {
    const { code, json } = await runJson(['status', 'prod/factify', 'prod/none']);

    expect(code).toBe(1);
    expect(json).toMatchObject({
      schemaVersion: 1,
      command: 'status',
      verdict: 'unknown',
      secrets: [
        { verdict: 'healthy' },
        { secretId: 'prod/none', error: expect.stringContaining('not found') },
      ],
    });
  });

  it('status of a missing secret: a JSON error on stdout, with its code and the exit code (1)', async () => {
    const { code, json, stderr } = await runJson(['status', 'prod/missing']);

    expect(code).toBe(1);
    expect(json).toEqual({
      schemaVersion: 1,
      command: 'status',
      error: {
        code: 'SECRET_NOT_FOUND',
        message: expect.stringMatching(/^Secret prod\/missing was not found in region us-east-1 /),
        exitCode: 1,
      },
    });
    // The person at the terminal still reads it on stderr.
    expect(stderr).toContain(json.error.message);
  });

  it('a wrong command line: a JSON error with code USAGE and exit code 2', async () => {
    const { code, json } = await runJson(['rotate', 'prod/factify', '--wait', '--timeout', '10']);

    expect(code).toBe(2);
    expect(json).toEqual({
      schemaVersion: 1,
      command: 'rotate',
      error: { code: 'USAGE', message: expect.stringContaining('--timeout needs a unit'), exitCode: 2 },
    });
    expect((await runJson(['stats', 'x'])).json).toMatchObject({ command: null, error: { code: 'USAGE' } });
  });

  it('rotate --wait: only the document, with the outcome and the status after it', async () => {
    const { code, json } = await runJson(['rotate', 'prod/factify', '--wait']);

    expect(code).toBe(0);
    const [current] = harness.versionsWith('AWSCURRENT');
    expect(json).toMatchObject({
      schemaVersion: 1,
      command: 'rotate',
      secret: { arn: harness.seeded.arn, name: 'prod/factify' },
      versionId: current,
      waited: true,
      outcome: 'finished',
      status: { verdict: 'healthy' },
    });
  });

  it('rotate without --wait: outcome started', async () => {
    const { code, json } = await runJson(['rotate', 'prod/factify']);

    expect(code).toBe(0);
    expect(json).toMatchObject({ schemaVersion: 1, command: 'rotate', waited: false, outcome: 'started' });
    await harness.environment.secretsManager.waitForRotation(harness.seeded.arn, 30_000);
  });

  it('rotate --wait that does not finish: outcome timed-out with the findings (exit 1)', async () => {
    const { environment, seeded } = harness;
    environment.factify.setKeyAdmin(seeded.initialKey.id, false);

    const { code, json } = await runJson(['rotate', 'prod/factify', '--wait', '--timeout', '10s']);

    expect(code).toBe(1);
    expect(json).toMatchObject({
      command: 'rotate',
      outcome: 'timed-out',
      status: { verdict: expect.any(String) },
    });
    expect(json.findings).toContainEqual(
      expect.stringMatching(/^Factify could not be checked: .*admin role/),
    );
  });

  it('recover of a healthy secret: outcome refused, exit 0', async () => {
    const { code, json } = await runJson(['recover', 'prod/factify']);

    expect(code).toBe(0);
    expect(json).toMatchObject({
      schemaVersion: 1,
      command: 'recover',
      verdictBefore: 'healthy',
      outcome: 'refused',
      message: 'Nothing to recover: prod/factify is healthy.',
    });
  });

  it('recover without --yes: asks no question, changes nothing, and says so as a JSON error', async () => {
    const orphan = seedOrphan(harness);

    const { code, json } = await runJson(['recover', 'prod/factify']);

    expect(code).toBe(1);
    expect(json).toMatchObject({ command: 'recover', error: { code: 'NOT_CONFIRMED', exitCode: 1 } });
    expect(harness.environment.factify.deleteCalls(orphan)).toBe(0);
  });

  it('recover --yes of a stuck rotation: the plan, what was done, and the status after', async () => {
    const { environment, seeded } = harness;
    const stuck = await failRotationInTestSecret(harness);
    environment.secretsManager.backdateVersion(seeded.arn, stuck, AN_HOUR_AGO());

    const { code, json } = await runJson(['recover', 'prod/factify', '--yes']);

    expect(code).toBe(0);
    expect(json).toMatchObject({
      schemaVersion: 1,
      command: 'recover',
      verdictBefore: 'stuck',
      outcome: 'recovered',
      plan: { removePendingFrom: stuck, revocations: [{ keyId: expect.any(String) }] },
      done: { pendingRemovedFrom: stuck, revoked: [{ outcome: 'revoked' }] },
      status: { verdict: 'healthy' },
    });
  });
});
