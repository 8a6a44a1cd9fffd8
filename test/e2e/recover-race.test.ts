import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { useSeededEnvironment } from '../support/e2e-fixture.js';
import { expectNoSecrets } from '../support/no-secrets.js';
import { FUNCTION_ARN } from '../support/rotation-environment.js';
import { keyWorks, rotateSecret } from '../support/seeded-secret.js';

/**
 * `recover --force` while finishSecret is still running: the operator reads the plan (remove AWSPENDING
 * from the new version, revoke its key) and confirms while the rotation finishes. The CLI runs in this
 * process, on a terminal the test answers, against the emulators; the function runs as the built bundle.
 */
describe('recover --force racing a running finishSecret', () => {
  const { environment, seeded } = useSeededEnvironment();
  let releaseFinish: () => void;
  let finishReached: Promise<void>;

  beforeEach(async () => {
    for (const [name, value] of Object.entries(environment.env)) vi.stubEnv(name, value);
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    // The rotation runs as Secrets Manager runs it, except that finishSecret waits for the test's signal.
    const gate = new Promise<void>((resolve) => {
      releaseFinish = resolve;
    });
    let reached: () => void;
    finishReached = new Promise<void>((resolve) => {
      reached = resolve;
    });
    environment.secretsManager.setRotationInvoker(FUNCTION_ARN, async (event) => {
      if (event.Step === 'finishSecret') {
        reached();
        await gate;
      }
      const invocation = await environment.invoke(event);
      if (!invocation.ok) throw new Error(invocation.error?.errorMessage ?? 'invocation failed');
    });
  });
  afterEach(async () => {
    releaseFinish();
    vi.unstubAllEnvs();
  });

  /** Runs `recover --force` on an interactive terminal; `beforeAnswer` runs while the prompt waits. */
  async function recoverWithPrompt(
    beforeAnswer: () => Promise<void>,
  ): Promise<{ code: number; output: string }> {
    const stdin = new PassThrough();
    let output = '';
    let prompted: () => void;
    const prompt = new Promise<void>((resolve) => {
      prompted = resolve;
    });
    const io = {
      stdout: (text: string) => {
        output += text;
        if (text.includes('Go ahead?')) prompted();
      },
      stderr: (text: string) => {
        output += text;
      },
      stdin,
      interactive: true,
    };
    const running = main(['recover', seeded.arn, '--force'], io, process.env);
    await Promise.race([prompt, running]);
    await beforeAnswer();
    stdin.end('y\n');
    const code = await running;
    return { code, output };
  }

  function currentValue(): { apiKey: string; apiKeyId: string } {
    const current = environment.secretsManager
      .versions(seeded.arn)
      .find((version) => version.stages.includes('AWSCURRENT'));
    return JSON.parse(String(current?.value));
  }

  it('stops and says so when the rotation finished while the prompt waited; the new key stays current and working', async () => {
    const versionId = await rotateSecret(environment, seeded.arn);
    await finishReached;

    const { code, output } = await recoverWithPrompt(async () => {
      releaseFinish();
      expect((await environment.secretsManager.waitForRotation(seeded.arn, 60_000)).status).toBe('succeeded');
    });

    expect(output).toContain(`remove AWSPENDING from version ${versionId}`);
    expect(output).toContain('Stopped before removing AWSPENDING');
    expect(output).toContain('the secret changed since the plan was made');
    expect(code).toBe(1);
    const current = currentValue();
    expect(environment.factify.deleteCalls(current.apiKeyId)).toBe(0);
    expect(await keyWorks(environment, current.apiKey)).toBe(true);
    expect(environment.factify.deleteCalls(seeded.otherAppKey.id)).toBe(0);
    expectNoSecrets(output, [seeded.initialKey.key, current.apiKey]);
  });

  it('never leaves the secret without a working key when finishSecret promotes in the instant after the last look', async () => {
    const versionId = await rotateSecret(environment, seeded.arn);
    await finishReached;
    // finishSecret's promotion is on its way but not yet applied when the operator confirms.
    environment.secretsManager.failNext('UpdateSecretVersionStage', { hangMs: 4_000 });

    const { output } = await recoverWithPrompt(async () => {
      releaseFinish();
      await vi.waitFor(
        () => {
          const calls = environment.secretsManager.calls.map((call) => call.operation);
          expect(calls).toContain('UpdateSecretVersionStage');
        },
        { timeout: 30_000, interval: 20 },
      );
    });
    const outcome = await environment.secretsManager.waitForRotation(seeded.arn, 60_000);

    expect(output).toContain(`remove AWSPENDING from version ${versionId}`);
    expect(outcome.status).toBe('failed');
    // Whatever happened in between, AWSCURRENT holds a key that works, and no version is left pending.
    const current = currentValue();
    expect(await keyWorks(environment, current.apiKey)).toBe(true);
    const pending = environment.secretsManager
      .versions(seeded.arn)
      .filter((version) => version.stages.includes('AWSPENDING') && !version.stages.includes('AWSCURRENT'));
    expect(pending).toEqual([]);
    expect(environment.factify.deleteCalls(seeded.otherAppKey.id)).toBe(0);
    expectNoSecrets(output, [seeded.initialKey.key, current.apiKey]);
  });
});
