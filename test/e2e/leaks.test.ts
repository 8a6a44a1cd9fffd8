import { describe, expect, it } from 'vitest';
import { useSeededEnvironment } from '../support/e2e-fixture.js';
import { expectNoSecrets } from '../support/no-secrets.js';
import { rotateSecret } from '../support/seeded-secret.js';

const LIST = { method: 'GET', path: '/v1/api-keys' } as const;

// How a service may echo a value back in an error: JSON-escaped, or case-changed.
const escaped = (value: string) => value.replaceAll('_', '\\u005f');
const shouted = (value: string) => value.toUpperCase();

/**
 * The built bundle, run the way the Lambda runtime runs it, which logs every enumerable field of a thrown
 * error (test/support/runtime-error-log.mjs): hostile answers that echo secrets reach no line it prints.
 */
describe('errors leak nothing, end to end', () => {
  const { environment, seeded, restart } = useSeededEnvironment();

  const secrets = () => [seeded.initialKey.key, seeded.otherAppKey.key];

  it.each([
    ['verbatim', (value: string) => value],
    ['JSON-escaped', escaped],
    ['upper-cased', shouted],
  ])('a Secrets Manager error echoing the key %s', async (_how, echo) => {
    environment.secretsManager.failNext('PutSecretValue', {
      type: 'EncryptionFailure',
      times: 5,
      // Copied by the SDK onto the error as an enumerable field.
      fields: { RequestEcho: { SecretString: `{"apiKey":"${echo(seeded.initialKey.key)}"}` } },
      message: `Failed to encrypt the secret: {"SecretString": "{\\"apiKey\\": \\"${echo(seeded.initialKey.key)}\\"}"}`,
    });

    await rotateSecret(environment, seeded.arn);
    await environment.secretsManager.waitForRotation(seeded.arn);

    expectNoSecrets(environment.output(), [...secrets(), ...rotationTokens()]);
    const failed = environment.invocations.find((invocation) => !invocation.ok);
    expect(failed?.error).toMatchObject({ errorType: 'EncryptionFailure', code: 'UNEXPECTED_ERROR' });
    expect(failed?.error?.fields.sort()).toEqual(['code', 'name']);
  });

  it.each([
    ['verbatim', (value: string) => value],
    ['JSON-escaped', escaped],
    ['upper-cased', shouted],
  ])('a Factify error whose code echoes the bearer key %s', async (_how, echo) => {
    environment.factify.inject({
      ...LIST,
      kind: 'status',
      status: 400,
      times: 10,
      body: { error: { type: 'invalid_request_error', code: echo(seeded.initialKey.key), message: 'bad' } },
    });

    await rotateSecret(environment, seeded.arn);
    await environment.secretsManager.waitForRotation(seeded.arn);

    expectNoSecrets(environment.output(), secrets());
    const failed = environment.invocations.find((invocation) => !invocation.ok);
    expect(failed?.error).toMatchObject({
      errorType: 'FactifyRequestError',
      code: 'FACTIFY_REQUEST_REJECTED',
    });
    expect(failed?.error?.fields.sort()).toEqual(['code', 'name']);
  });

  it('a Secrets Manager error whose body echoes the whole request: the new key and the RotationToken', async () => {
    // An environment that records the RotationToken Secrets Manager sends with each step.
    const tokens: string[] = [];
    await restart({ onStep: (event) => tokens.push(event.RotationToken) });
    environment.secretsManager.failNext('PutSecretValue', {
      type: 'EncryptionFailure',
      times: 5,
      echoRequest: true,
    });

    await rotateSecret(environment, seeded.arn);
    await environment.secretsManager.waitForRotation(seeded.arn);

    expect(tokens.length).toBeGreaterThan(0);
    expectNoSecrets(environment.output(), [...secrets(), ...tokens]);
    const failed = environment.invocations.find((invocation) => !invocation.ok);
    expect(failed?.error?.fields.sort()).toEqual(['code', 'name']);
  });

  it('names the error class in the bundle: KeyLimitError, not a minified name', async () => {
    // Other applications' keys, made an hour before the secret's: each shows its own prefix.
    for (const name of ['a', 'b', 'c']) {
      environment.factify.seedKey(seeded.orgId, { name, createdAt: new Date(Date.now() - 3_600_000) });
    }

    await rotateSecret(environment, seeded.arn);
    await environment.secretsManager.waitForRotation(seeded.arn);

    const failed = environment.invocations.find((invocation) => !invocation.ok);
    expect(failed?.error).toMatchObject({ errorType: 'KeyLimitError', code: 'KEY_LIMIT_REACHED' });
    expect(failed?.output).toContain('"errorType":"KeyLimitError"');
  });

  function rotationTokens(): string[] {
    return environment.secretsManager.receivedRotationTokens(seeded.arn);
  }
});
