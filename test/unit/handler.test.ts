import { describe, expect, it, vi } from 'vitest';
import { ConfigurationError, InvalidEventError, RotationStateError } from '../../lambda/errors.js';
import { createHandler } from '../../lambda/handler.js';
import { FakeFactify } from '../fakes/factify-keys.js';
import { FakeScheduler } from '../fakes/scheduler.js';
import { FakeSecretStore } from '../fakes/secret-store.js';
import { expectNoSecrets } from '../support/no-secrets.js';
import { captureLogs, startRotation } from './fixture.js';

function bareHandler() {
  // The real clock, for the handler and the fake Factify alike.
  const now = () => new Date();
  const store = new FakeSecretStore();
  const factify = new FakeFactify(now);
  const handler = createHandler(() => ({
    store,
    factify: () => factify,
    scheduler: async () => new FakeScheduler(),
    sleep: async () => {},
    now,
  }));
  return { store, factify, handler };
}

describe('handler', () => {
  const logs = captureLogs();

  it.each([
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
  ])('rejects %s with the accepted shapes before any call', async (_name, event) => {
    const { store, factify, handler } = bareHandler();

    const failure = handler(event);

    await expect(failure).rejects.toBeInstanceOf(InvalidEventError);
    await expect(failure).rejects.toThrow(/Accepted shapes: .*"Step".*\{"SecretId"/);
    expect(store.calls).toEqual([]);
    expect(factify.calls).toEqual([]);
  });

  it('starts a rotation through Secrets Manager for {"SecretId": ...} and returns the new version id', async () => {
    const { store, handler } = bareHandler();
    const { arn } = store.addSecret('prod/factify', { apiKey: 'ffy_test_abc123456789' });

    const result = await handler({ SecretId: arn });

    expect(store.calls).toEqual(['startRotation']);
    expect(result).toEqual({ VersionId: expect.any(String) });
    expect(store.stages(arn)[(result as { VersionId: string }).VersionId]).toEqual(['AWSPENDING']);
  });

  it.each([
    ['ftp://api.factify.com/v1'],
    ['http://api.factify.com/v1'],
    ['not a url'],
    ['https://api.factify.com/v2'],
    ['https://user:pass@api.factify.com/v1'],
  ])('rejects FACTIFY_API_URL=%s before any call', async (url) => {
    vi.stubEnv('FACTIFY_API_URL', url);
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
});
