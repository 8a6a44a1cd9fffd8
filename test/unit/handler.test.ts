import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../lambda/function/handler.js';
import { checkRotationState } from '../../lambda/keys/guard.js';
import {
  ConfigurationError,
  InvalidEventError,
  KeyLimitError,
  RotationStateError,
} from '../../lambda/telemetry/errors.js';
import { FakeFactify } from '../fakes/factify-keys.js';
import { FakeScheduler } from '../fakes/scheduler.js';
import { FakeSealKey } from '../fakes/seal-key.js';
import { FakeSecretStore } from '../fakes/secret-store.js';
import { expectNoSecrets } from '../support/no-secrets.js';
import { runtimeErrorLog } from '../support/runtime-error-log.mjs';
import { captureLogs, ROTATION_TOKEN, SEAL_KEY_ID, startRotation } from './fixture.js';

function bareHandler() {
  // The real clock, for the handler and the fake Factify alike.
  const now = () => new Date();
  const store = new FakeSecretStore();
  const factify = new FakeFactify(now);
  vi.stubEnv('FACTIFY_SEAL_KEY_ID', SEAL_KEY_ID);
  const handler = createHandler(() => ({
    store,
    factify: () => factify,
    sealKey: () => new FakeSealKey(),
    scheduler: async () => new FakeScheduler(),
    sleep: async () => {},
    now,
  }));
  return { store, factify, handler };
}

describe('handler', () => {
  const logs = captureLogs();

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'createSecret'],
    ['an array', []],
    ['the console default test event', { key1: 'value1', key2: 'value2', key3: 'value3' }],
    ['an unknown step', { Step: 'deleteSecret', SecretId: 'arn', ClientRequestToken: 'a'.repeat(36) }],
    ['a missing token', { Step: 'createSecret', SecretId: 'arn' }],
    ['a short token', { Step: 'createSecret', SecretId: 'arn', ClientRequestToken: 'abc' }],
    ['an empty SecretId', { SecretId: '' }],
    [
      'an extra field',
      { Step: 'createSecret', SecretId: 'arn', ClientRequestToken: 'a'.repeat(36), Extra: 1 },
    ],
    [
      'a non-string RotationToken',
      { Step: 'createSecret', SecretId: 'arn', ClientRequestToken: 'a'.repeat(36), RotationToken: 5 },
    ],
    ['a SecretId of 2,049 characters', { SecretId: 'a'.repeat(2_049) }],
    [
      'a 2 MB SecretId in a rotation step',
      { Step: 'createSecret', SecretId: 'a'.repeat(2_000_000), ClientRequestToken: 'a'.repeat(36) },
    ],
    [
      'a 1 MB RotationToken',
      {
        Step: 'createSecret',
        SecretId: 'arn',
        ClientRequestToken: 'a'.repeat(36),
        RotationToken: 'r'.repeat(1_000_000),
      },
    ],
    ...['__proto__', 'constructor', 'toString', 'x'.repeat(65)].map(
      (versionId) =>
        [
          `a scheduled revocation of version ${versionId.slice(0, 12)}`,
          {
            Action: 'revokeReplacedKey',
            SecretId: 'arn',
            VersionId: versionId,
            ApiKeyId: 'key_01h2xcejqtf2nbrexx3vqjhp41',
          },
        ] as [string, unknown],
    ),
  ])('rejects %s with the accepted shapes before any call', async (_name, event) => {
    const { store, factify, handler } = bareHandler();

    const failure = handler(event);

    await expect(failure).rejects.toBeInstanceOf(InvalidEventError);
    await expect(failure).rejects.toThrow(/Accepted shapes: .*"Step".*\{"SecretId"/);
    expect(store.calls).toEqual([]);
    expect(factify.calls).toEqual([]);
    // No huge value is copied into the error or the log.
    const message = await failure.then(
      () => '',
      (error: Error) => error.message,
    );
    expect(message.length).toBeLessThan(1_000);
    expect(logs.text().length).toBeLessThan(2_000);
  });

  it.each(['__proto__', 'constructor', 'hasOwnProperty'])(
    'answers a lookup of version %s with a typed error, not a TypeError',
    async (versionId) => {
      const rotation = startRotation();

      await expect(checkRotationState(rotation.store, rotation.arn, versionId)).rejects.toBeInstanceOf(
        RotationStateError,
      );
    },
  );

  it('starts a rotation through Secrets Manager for {"SecretId": ...} and returns the new version id', async () => {
    const { store, handler } = bareHandler();
    const { arn } = store.addSecret('prod/factify', { apiKey: 'ffy_test_abc123456789' });

    const result = await handler({ SecretId: arn });

    expect(store.calls).toEqual(['describe', 'startRotation']);
    expect(result).toEqual({ VersionId: expect.any(String) });
    expect(store.stages(arn)[(result as { VersionId: string }).VersionId]).toEqual(['AWSPENDING']);
  });

  // The URL rules themselves: test/unit/factify-api-url.test.ts.
  it('rejects an invalid FACTIFY_API_URL before any call', async () => {
    vi.stubEnv('FACTIFY_API_URL', 'http://api.factify.com/v1');
    const { store, handler } = bareHandler();

    await expect(handler({ SecretId: 'prod/factify' })).rejects.toBeInstanceOf(ConfigurationError);
    expect(store.calls).toEqual([]);
  });

  it('refuses to run a step when rotation is disabled on the secret', async () => {
    const { store, handler } = bareHandler();
    const { arn } = store.addSecret('prod/factify', {}, { rotationEnabled: false });
    const token = store.addPendingPlaceholder(arn);

    await expect(handler({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow(
      /Rotation is not enabled/,
    );
  });

  it('refuses a token that is not a version of the secret', async () => {
    const rotation = startRotation();

    await expect(rotation.run('createSecret', '00000000-0000-4000-8000-000000000000')).rejects.toThrow(
      /is not a staged version/,
    );
  });

  it('refuses a version that is neither AWSPENDING nor AWSCURRENT', async () => {
    const rotation = startRotation();
    rotation.store.setVersion(rotation.arn, rotation.token, ['AWSPREVIOUS']);

    await expect(rotation.run('setSecret')).rejects.toBeInstanceOf(RotationStateError);
    expect(rotation.factify.calls).toEqual([]);
  });

  it('logs one structured line per step with the invocation keys and outcome, never the secrets', async () => {
    const rotation = startRotation();

    await rotation.rotate();

    const finals = logs.lines().filter((line) => line.message === 'Step succeeded');
    expect(finals.map((line) => line.step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    for (const line of finals) {
      expect(line).toMatchObject({
        level: 'INFO',
        secretId: rotation.arn,
        versionId: rotation.token,
        requestId: 'req-1',
      });
      expect(line.durationMs).toEqual(expect.any(Number));
    }
    expectNoSecrets(logs.text(), rotation.secrets());
  });

  it('logs a failure with its code and no secret, and rethrows it', async () => {
    const rotation = startRotation({ currentIsAdmin: false });

    await expect(rotation.run('createSecret')).rejects.toThrow(/admin role/);

    const failure = logs.lines().find((line) => line.message === 'Step failed');
    expect(failure).toMatchObject({
      level: 'ERROR',
      outcome: 'failed',
      error: { code: 'FACTIFY_FORBIDDEN' },
    });
    expectNoSecrets(logs.text(), rotation.secrets());
  });

  describe('a thrown error carries nothing but its name, code and scrubbed message', () => {
    // An AWS SDK error as the SDK builds it from a response body that echoes the request: the body's fields
    // become enumerable properties, next to $metadata; the original error is its cause.
    function sdkError(echo: string): Error {
      const error = new Error(`Request rejected: ${echo}`, { cause: new Error(`inner ${echo}`) });
      return Object.assign(error, {
        name: 'ResourceExistsException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400, requestId: 'r-1', attempts: 1 },
        Message: `You can't modify an existing version: ${echo}`,
        SecretString: echo,
        $response: { body: `{"SecretString":"${echo}"}` },
      });
    }

    const forms: [string, (value: string) => string][] = [
      ['verbatim', (value) => value],
      ['JSON-escaped', (value) => value.replaceAll('_', '\\u005f').replaceAll('-', '\\u002d')],
      ['upper-cased', (value) => value.toUpperCase()],
    ];

    it.each([
      ...forms.map(([how, form]) => [`the RotationToken ${how}`, () => form(ROTATION_TOKEN)] as const),
      ...forms.map(([how, form]) => [`the new key ${how}`, (key: string) => form(key)] as const),
    ])('when Secrets Manager echoes %s in an error', async (_case, echo) => {
      const rotation = startRotation();
      // The request PutSecretValue rejects holds the new key: the error echoes it.
      rotation.store.putPendingValue = async (_arn, _token, value) => {
        throw sdkError(echo(JSON.parse(value.reveal()).apiKey as string));
      };

      const error = (await rotation.run('createSecret').catch((caught: unknown) => caught)) as Error;

      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('ResourceExistsException');
      expect(Object.keys(error).sort()).toEqual(['code', 'name']);
      expect(error).toMatchObject({ code: 'UNEXPECTED_ERROR' });
      expect(error.cause).toBeUndefined();
      const printed = [runtimeErrorLog(error), inspect(error, { depth: 10, showHidden: true }), logs.text()];
      expectNoSecrets(printed.join('\n'), rotation.secrets());
    });

    it('keeps the class, name and code of a rotation error, without its other fields', async () => {
      const rotation = startRotation();
      for (let index = 0; index < 4; index++)
        rotation.factify.addKey(rotation.orgId, { name: `other-${index}` });

      const error = (await rotation.run('createSecret').catch((caught: unknown) => caught)) as Error;

      expect(error).toBeInstanceOf(KeyLimitError);
      expect(error.name).toBe('KeyLimitError');
      expect(Object.keys(error).sort()).toEqual(['code', 'name']);
      expect(error).toMatchObject({ code: 'KEY_LIMIT_REACHED' });
      expect(error.message).toMatch(/already has 5 active API keys/);
      expect(runtimeErrorLog(error)).toContain('"errorType":"KeyLimitError"');
    });

    it('clips a huge message', async () => {
      const rotation = startRotation();
      rotation.store.failNext('describe', new Error('x'.repeat(3_000_000)));

      const error = (await rotation.run('createSecret').catch((caught: unknown) => caught)) as Error;

      expect(error.message.length).toBeLessThan(2_100);
      expect(logs.text().length).toBeLessThan(20_000);
    });
  });
});
