import { randomUUID } from 'node:crypto';
import {
  BatchGetSecretValueCommand,
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidNextTokenException,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RotateSecretCommand,
  type SecretsManagerClient,
  SecretsManagerServiceException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { expectNoSecrets } from '../support/no-secrets.js';
import {
  type RotationEvent,
  type RotationInvoker,
  type SecretsManagerEmulator,
  startSecretsManagerEmulator,
} from './secrets-manager.js';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:factify-rotator';
const NAME = 'factify/api-key';
const DAY_MS = 86_400_000;

let sm: SecretsManagerEmulator;
let client: SecretsManagerClient;

beforeEach(async () => {
  sm = await startSecretsManagerEmulator();
  client = sm.client();
});

afterEach(async () => {
  await sm.close();
});

/** The service exception a call failed with; fails the test if it succeeded or failed otherwise. */
async function failure(call: Promise<unknown>): Promise<SecretsManagerServiceException> {
  const error = await call.then(
    () => new Error('expected the call to fail'),
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof SecretsManagerServiceException)) throw error;
  return error;
}

/** Version id → sorted staging labels, as the emulator stores them (deprecated versions included). */
function stages(secretId = NAME): Record<string, string[]> {
  return Object.fromEntries(sm.versions(secretId).map((version) => [version.versionId, version.stages]));
}

function put(SecretString: string, extra: { ClientRequestToken?: string; VersionStages?: string[] } = {}) {
  return client.send(new PutSecretValueCommand({ SecretId: NAME, SecretString, ...extra }));
}

/** The parts of the SDK's outgoing HTTP request that tests edit. */
interface OutgoingRequest {
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/** Lets a test edit the HTTP request after the SDK signed it, to send what the SDK never would. */
function tamper(target: SecretsManagerClient, edit: (request: OutgoingRequest) => void) {
  target.middlewareStack.add(
    (next) => async (args) => {
      edit(args.request as OutgoingRequest);
      return next(args);
    },
    { step: 'deserialize' },
  );
}

/** A promise a test resolves by hand, to hold a rotation step until the test has looked around. */
function deferred() {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * A minimal rotation Lambda shaped like the AWS template: createSecret stores the new value as
 * AWSPENDING (passing the RotationToken through), finishSecret moves AWSCURRENT to it. It leaves
 * AWSPENDING on the new current version, as aws-samples#168 reports real templates doing.
 */
function templateRotator(newValue: string, seen: RotationEvent[] = []): RotationInvoker {
  return async (event) => {
    seen.push(event);
    const { Step, SecretId, ClientRequestToken, RotationToken } = event;
    if (Step === 'createSecret') {
      await client.send(
        new PutSecretValueCommand({
          SecretId,
          ClientRequestToken,
          SecretString: newValue,
          VersionStages: ['AWSPENDING'],
          RotationToken,
        }),
      );
    }
    if (Step === 'finishSecret') {
      const { VersionIdsToStages = {} } = await client.send(new DescribeSecretCommand({ SecretId }));
      const current = Object.keys(VersionIdsToStages).find((id) =>
        VersionIdsToStages[id]?.includes('AWSCURRENT'),
      );
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: ClientRequestToken,
          RemoveFromVersionId: current,
        }),
      );
    }
  };
}

/** An invoker that records the steps and throws in `failingStep`. */
function failingRotator(failingStep: RotationEvent['Step'], seen: RotationEvent[] = []): RotationInvoker {
  return async (event) => {
    seen.push(event);
    if (event.Step === failingStep) throw new Error('Factify answered 503');
  };
}

/** RotateSecret on the test secret with LAMBDA and a 30-day schedule. */
function rotate(RotateImmediately?: boolean) {
  return client.send(
    new RotateSecretCommand({
      SecretId: NAME,
      RotationLambdaARN: LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 30 },
      RotateImmediately,
    }),
  );
}

describe('wire protocol', () => {
  it('serves the real SDK over awsJson1_1, with epoch-second dates and a request id', async () => {
    const created = await client.send(
      new CreateSecretCommand({ Name: NAME, SecretString: '{"apiKey":"k1"}' }),
    );
    const value = await client.send(new GetSecretValueCommand({ SecretId: NAME }));

    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:factify\/api-key-[A-Za-z0-9]{6}$/,
    );
    expect(value).toMatchObject({
      ARN: created.ARN,
      Name: NAME,
      VersionId: created.VersionId,
      SecretString: '{"apiKey":"k1"}',
    });
    expect(value.CreatedDate).toBeInstanceOf(Date);
    expect(Math.abs((value.CreatedDate?.getTime() ?? 0) - Date.now())).toBeLessThan(5_000);
    expect(value.$metadata).toMatchObject({ httpStatusCode: 200, requestId: expect.any(String) });
  });

  it('uses the configured region and account in ARNs and in its client', async () => {
    const other = await startSecretsManagerEmulator({ region: 'eu-west-1', accountId: '111122223333' });
    try {
      const { ARN } = await other.client().send(new CreateSecretCommand({ Name: 'x', SecretString: 'v' }));
      expect(ARN).toMatch(/^arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-/);
      expect(other.region).toBe('eu-west-1');
      expect(other.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await other.close();
    }
  });

  it('returns errors the SDK turns into its modeled exception classes', async () => {
    const error = await failure(client.send(new GetSecretValueCommand({ SecretId: 'missing' })));

    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.message).toBe("Secrets Manager can't find the specified secret.");
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('refuses requests without a SigV4 Authorization header', async () => {
    const unsigned = sm.client();
    tamper(unsigned, (request) => {
      delete request.headers.authorization;
    });
    const badlySigned = sm.client();
    tamper(badlySigned, (request) => {
      request.headers.authorization = 'Basic Zm9vOmJhcg==';
    });

    const missing = await failure(unsigned.send(new GetSecretValueCommand({ SecretId: NAME })));
    const malformed = await failure(badlySigned.send(new GetSecretValueCommand({ SecretId: NAME })));

    expect(missing.name).toBe('MissingAuthenticationTokenException');
    expect(missing.$metadata.httpStatusCode).toBe(400);
    expect(malformed.name).toBe('IncompleteSignatureException');
    expect(sm.calls).toEqual([]);
  });

  it('rejects a body that is not a JSON object', async () => {
    const garbling = sm.client();
    tamper(garbling, (request) => {
      request.body = '[1, 2';
      request.headers['content-length'] = String(Buffer.byteLength(request.body));
    });

    const error = await failure(garbling.send(new GetSecretValueCommand({ SecretId: NAME })));

    expect(error.name).toBe('SerializationException');
  });

  it('rejects operations it does not implement', async () => {
    const other = sm.client();
    tamper(other, (request) => {
      request.headers['x-amz-target'] = 'secretsmanager.DeleteSecret';
    });

    const error = await failure(other.send(new GetSecretValueCommand({ SecretId: NAME })));

    expect(error.name).toBe('UnknownOperationException');
    expect(error.message).toContain('secretsmanager.DeleteSecret');
  });

  it('records each call by operation and secret id, never a value or a token', async () => {
    await client.send(new CreateSecretCommand({ Name: NAME, SecretString: 'super-secret-value' }));
    await put('another-secret-value');
    const rotationToken = randomUUID();
    await failure(
      client.send(
        new PutSecretValueCommand({
          SecretId: NAME,
          SecretString: 'third-value',
          RotationToken: rotationToken,
        }),
      ),
    );

    expect(sm.calls).toEqual([
      { operation: 'CreateSecret', secretId: NAME },
      { operation: 'PutSecretValue', secretId: NAME },
      { operation: 'PutSecretValue', secretId: NAME },
    ]);
    const recorded = JSON.stringify(sm.calls);
    for (const secret of ['super-secret-value', 'another-secret-value', 'third-value', rotationToken]) {
      expect(recorded).not.toContain(secret);
    }

    sm.resetCalls();
    expect(sm.calls).toEqual([]);
  });

  it('lets tests set up and inspect state without recording calls', () => {
    const { arn, versionId } = sm.createSecretDirect(NAME, 'v1', { versionId: 'a'.repeat(32) });

    expect(versionId).toBe('a'.repeat(32));
    expect(sm.versions(arn)).toEqual([
      { versionId, stages: ['AWSCURRENT'], value: 'v1', createdDate: expect.any(Date) },
    ]);
    expect(sm.events(NAME)).toEqual([]);
    expect(sm.receivedRotationTokens(NAME)).toEqual([]);
    expect(sm.calls).toEqual([]);
  });
});

describe('CreateSecret', () => {
  it('stages the first version AWSCURRENT and keeps the description and tags', async () => {
    const created = await client.send(
      new CreateSecretCommand({
        Name: NAME,
        SecretString: 'v1',
        Description: 'Factify API key',
        Tags: [{ Key: 'team', Value: 'platform' }],
      }),
    );
    const described = await client.send(new DescribeSecretCommand({ SecretId: NAME }));

    expect(described).toMatchObject({
      ARN: created.ARN,
      Name: NAME,
      Description: 'Factify API key',
      Tags: [{ Key: 'team', Value: 'platform' }],
      VersionIdsToStages: { [created.VersionId ?? '']: ['AWSCURRENT'] },
    });
  });

  it('refuses an existing name but replays an identical retry', async () => {
    const token = randomUUID();
    const first = await client.send(
      new CreateSecretCommand({ Name: NAME, SecretString: 'v1', ClientRequestToken: token }),
    );

    const retry = await client.send(
      new CreateSecretCommand({ Name: NAME, SecretString: 'v1', ClientRequestToken: token }),
    );
    const clash = await failure(client.send(new CreateSecretCommand({ Name: NAME, SecretString: 'v1' })));

    expect(retry).toMatchObject({ ARN: first.ARN, VersionId: token });
    expect(clash).toBeInstanceOf(ResourceExistsException);
    expect(sm.versions(NAME)).toHaveLength(1);
  });

  it('validates the name', async () => {
    const invalid = await failure(
      client.send(new CreateSecretCommand({ Name: 'bad name!', SecretString: 'v' })),
    );
    const missing = await failure(
      client.send(new CreateSecretCommand({ Name: undefined, SecretString: 'v' })),
    );

    expect(invalid).toBeInstanceOf(InvalidParameterException);
    expect(missing.name).toBe('ValidationException');
    expect(missing.message).toContain(
      "Value null at 'name' failed to satisfy constraint: Member must not be null",
    );
  });
});

describe('GetSecretValue', () => {
  it('returns AWSCURRENT by default and selects by VersionId, VersionStage or both', async () => {
    const v1 = sm.createSecretDirect(NAME, 'v1').versionId;
    const v2 = (await put('v2')).VersionId;

    const current = await client.send(new GetSecretValueCommand({ SecretId: NAME }));
    const byId = await client.send(new GetSecretValueCommand({ SecretId: NAME, VersionId: v1 }));
    const byStage = await client.send(
      new GetSecretValueCommand({ SecretId: NAME, VersionStage: 'AWSPREVIOUS' }),
    );
    const byBoth = await client.send(
      new GetSecretValueCommand({ SecretId: NAME, VersionId: v2, VersionStage: 'AWSCURRENT' }),
    );

    expect(current).toMatchObject({ VersionId: v2, SecretString: 'v2', VersionStages: ['AWSCURRENT'] });
    expect(byId).toMatchObject({ VersionId: v1, SecretString: 'v1', VersionStages: ['AWSPREVIOUS'] });
    expect(byStage.VersionId).toBe(v1);
    expect(byBoth.VersionId).toBe(v2);
  });

  it('fails when VersionId and VersionStage name different versions', async () => {
    const v1 = sm.createSecretDirect(NAME, 'v1').versionId;
    await put('v2');

    const error = await failure(
      client.send(new GetSecretValueCommand({ SecretId: NAME, VersionId: v1, VersionStage: 'AWSCURRENT' })),
    );
    const unknown = await failure(
      client.send(new GetSecretValueCommand({ SecretId: NAME, VersionId: randomUUID() })),
    );

    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.message).toBe(
      "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    );
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
    expect(unknown.message).toMatch(/for VersionId: /);
  });

  it('finds a secret by name, full ARN or partial ARN, and requires SecretId', async () => {
    const { arn } = sm.createSecretDirect(NAME, 'v1');

    const byArn = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    const byPartialArn = await client.send(new GetSecretValueCommand({ SecretId: arn.slice(0, -7) }));
    const otherAccount = await failure(
      client.send(new GetSecretValueCommand({ SecretId: arn.replace('123456789012', '210987654321') })),
    );
    const missing = await failure(client.send(new GetSecretValueCommand({ SecretId: undefined })));

    expect(byArn.SecretString).toBe('v1');
    expect(byPartialArn.ARN).toBe(arn);
    expect(otherAccount).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.name).toBe('ValidationException');
    expect(missing.message).toContain("Value null at 'secretId'");
  });
});

describe('PutSecretValue', () => {
  it('moves AWSCURRENT to the new version and AWSPREVIOUS to the one it left', async () => {
    const v1 = sm.createSecretDirect(NAME, 'v1').versionId;
    const v2 = (await put('v2')).VersionId ?? '';
    const v3 = (await put('v3')).VersionId ?? '';

    expect(stages()).toEqual({ [v1]: [], [v2]: ['AWSPREVIOUS'], [v3]: ['AWSCURRENT'] });
    const { VersionIdsToStages } = await client.send(new DescribeSecretCommand({ SecretId: NAME }));
    expect(VersionIdsToStages).toEqual({ [v2]: ['AWSPREVIOUS'], [v3]: ['AWSCURRENT'] });
  });

  it('attaches only the stages requested, moving each off its previous version', async () => {
    const v1 = sm.createSecretDirect(NAME, 'v1').versionId;
    const blue = await put('blue', { VersionStages: ['BLUE'] });
    const pending = await put('pending', { VersionStages: ['AWSPENDING', 'BLUE'] });

    expect(blue.VersionStages).toEqual(['BLUE']);
    expect(pending.VersionStages).toEqual(['AWSPENDING', 'BLUE']);
    expect(stages()).toEqual({
      [v1]: ['AWSCURRENT'],
      [blue.VersionId ?? '']: [],
      [pending.VersionId ?? '']: ['AWSPENDING', 'BLUE'],
    });
  });

  it('is idempotent per ClientRequestToken and refuses to change a stored value', async () => {
    sm.createSecretDirect(NAME, 'v1');
    const token = randomUUID();
    const first = await put('v2', { ClientRequestToken: token });

    const replay = await put('v2', { ClientRequestToken: token, VersionStages: ['OTHER'] });
    const conflict = await failure(put('different', { ClientRequestToken: token }));

    expect(replay).toMatchObject({ VersionId: token, VersionStages: first.VersionStages });
    expect(conflict).toBeInstanceOf(ResourceExistsException);
    expect(sm.versions(NAME).map((version) => version.value)).toEqual(['v1', 'v2']);
  });

  it('requires a ClientRequestToken of 32 to 64 characters', async () => {
    sm.createSecretDirect(NAME, 'v1');
    const withoutToken = sm.client();
    // The SDK fills in a missing ClientRequestToken, so only an edited request can arrive without one.
    tamper(withoutToken, (request) => {
      // TextDecoder, not Buffer.from: the SDK's body type warns when read through string methods.
      const sent = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
      const { ClientRequestToken: _dropped, ...body } = JSON.parse(sent);
      request.body = JSON.stringify(body);
      request.headers['content-length'] = String(Buffer.byteLength(request.body));
    });

    const empty = await failure(put('v', { ClientRequestToken: '' }));
    const short = await failure(put('v', { ClientRequestToken: 'x'.repeat(31) }));
    const long = await failure(put('v', { ClientRequestToken: 'x'.repeat(65) }));
    const absent = await failure(
      withoutToken.send(new PutSecretValueCommand({ SecretId: NAME, SecretString: 'v' })),
    );

    expect([empty.name, short.name, long.name]).toEqual([
      'ValidationException',
      'ValidationException',
      'ValidationException',
    ]);
    expect(short.message).toContain('Member must have length greater than or equal to 32');
    expect(long.message).toContain('Member must have length less than or equal to 64');
    expect(absent).toBeInstanceOf(InvalidRequestException);
    expect(absent.message).toBe(
      'You must provide a ClientRequestToken value. We recommend a UUID-type value.',
    );
    expect(await put('v', { ClientRequestToken: 'x'.repeat(64) })).toMatchObject({
      VersionId: 'x'.repeat(64),
    });
  });

  it('stages the first value of a secret created without one AWSCURRENT, whatever VersionStages says', async () => {
    await client.send(new CreateSecretCommand({ Name: NAME }));

    const first = await put('v1', { VersionStages: ['AWSPENDING'] });

    expect(first.VersionStages).toEqual(['AWSPENDING', 'AWSCURRENT']);
  });

  it('refuses SecretBinary, which the emulator does not model', async () => {
    sm.createSecretDirect(NAME, 'v1');

    const error = await failure(
      client.send(new PutSecretValueCommand({ SecretId: NAME, SecretBinary: new Uint8Array([1, 2]) })),
    );

    expect(error).toBeInstanceOf(InvalidParameterException);
  });

  it('refuses a RotationToken when no rotation of the secret is in progress, but records it', async () => {
    sm.createSecretDirect(NAME, 'v1');

    const error = await failure(
      client.send(
        new PutSecretValueCommand({ SecretId: NAME, SecretString: 'v2', RotationToken: randomUUID() }),
      ),
    );

    expect(error.name).toBe('AccessDeniedException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(sm.receivedRotationTokens(NAME)).toHaveLength(1);
    expect(sm.versions(NAME)).toHaveLength(1);
  });

  it('counts as a rotation for NextRotationDate without setting LastRotatedDate', async () => {
    sm.createSecretDirect(NAME, 'v1', {
      rotation: { lambdaArn: LAMBDA, rules: { AutomaticallyAfterDays: 7 } },
    });
    // Let the clock move on, so the manual write is not mistaken for the creation.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await put('v2');

    const described = await client.send(new DescribeSecretCommand({ SecretId: NAME }));

    expect(described.RotationEnabled).toBe(true);
    expect(described.LastRotatedDate).toBeUndefined();
    expect(described.NextRotationDate?.getTime()).toBe(
      (described.LastChangedDate?.getTime() ?? 0) + 7 * DAY_MS,
    );
  });
});

describe('UpdateSecretVersionStage', () => {
  it('moves AWSCURRENT and gives AWSPREVIOUS to the version it left', async () => {
    const v1 = sm.createSecretDirect(NAME, 'v1').versionId;
    const v2 = (await put('v2')).VersionId ?? '';
    const v3 = (await put('v3', { VersionStages: ['AWSPENDING'] })).VersionId ?? '';

    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: NAME,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: v3,
        RemoveFromVersionId: v2,
      }),
    );

    // AWSPENDING stays: AWS does not remove it when AWSCURRENT moves onto the pending version.
    expect(stages()).toEqual({ [v1]: [], [v2]: ['AWSPREVIOUS'], [v3]: ['AWSCURRENT', 'AWSPENDING'] });
  });

  it('requires RemoveFromVersionId to name the version holding the label', async () => {
    const v1 = sm.createSecretDirect(NAME, 'v1').versionId;
    const v2 = (await put('v2', { VersionStages: ['AWSPENDING'] })).VersionId ?? '';
    const move = (extra: { RemoveFromVersionId?: string; MoveToVersionId?: string }) =>
      failure(
        client.send(
          new UpdateSecretVersionStageCommand({ SecretId: NAME, VersionStage: 'AWSCURRENT', ...extra }),
        ),
      );

    const withoutRemove = await move({ MoveToVersionId: v2 });
    const wrongRemove = await move({ MoveToVersionId: v1, RemoveFromVersionId: v2 });
    const unknownVersion = await move({ MoveToVersionId: randomUUID(), RemoveFromVersionId: v1 });
    const neither = await move({});

    for (const error of [withoutRemove, wrongRemove, unknownVersion, neither]) {
      expect(error).toBeInstanceOf(InvalidParameterException);
    }
    expect(withoutRemove.message).toContain(v1);
    expect(stages()).toEqual({ [v1]: ['AWSCURRENT'], [v2]: ['AWSPENDING'] });
  });

  it('deprecates a version that loses its last label, and never just removes AWSCURRENT', async () => {
    const v1 = sm.createSecretDirect(NAME, 'v1').versionId;
    const v2 = (await put('v2', { VersionStages: ['AWSPENDING'] })).VersionId ?? '';

    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: NAME,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: v2,
      }),
    );
    const removeCurrent = await failure(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: NAME,
          VersionStage: 'AWSCURRENT',
          RemoveFromVersionId: v1,
        }),
      ),
    );

    const { VersionIdsToStages } = await client.send(new DescribeSecretCommand({ SecretId: NAME }));
    expect(VersionIdsToStages).toEqual({ [v1]: ['AWSCURRENT'] });
    expect(removeCurrent).toBeInstanceOf(InvalidParameterException);
  });

  it('accepts custom labels', async () => {
    const v1 = sm.createSecretDirect(NAME, 'v1').versionId;

    await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: NAME, VersionStage: 'canary', MoveToVersionId: v1 }),
    );

    expect(stages()).toEqual({ [v1]: ['AWSCURRENT', 'canary'] });
  });
});

describe('ListSecretVersionIds', () => {
  it('lists labelled versions page by page, and deprecated ones on request', async () => {
    const v1 = sm.createSecretDirect(NAME, 'v1').versionId;
    const v2 = (await put('v2')).VersionId;
    const v3 = (await put('v3')).VersionId;

    const first = await client.send(new ListSecretVersionIdsCommand({ SecretId: NAME, MaxResults: 1 }));
    const second = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: NAME, MaxResults: 1, NextToken: first.NextToken }),
    );
    const all = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: NAME, IncludeDeprecated: true }),
    );

    expect(first.Versions).toEqual([
      { VersionId: v2, VersionStages: ['AWSPREVIOUS'], CreatedDate: expect.any(Date) },
    ]);
    expect(second.Versions?.map((version) => version.VersionId)).toEqual([v3]);
    expect(second.NextToken).toBeUndefined();
    expect(all.Versions?.map((version) => [version.VersionId, version.VersionStages ?? []])).toEqual([
      [v1, []],
      [v2, ['AWSPREVIOUS']],
      [v3, ['AWSCURRENT']],
    ]);
  });

  it('reports the CreatedDate that test setup moved into the past', async () => {
    const v1 = sm.createSecretDirect(NAME, 'v1').versionId;
    const then = new Date('2026-01-02T03:04:05Z');

    sm.backdateVersion(NAME, v1, then);
    const out = await client.send(new ListSecretVersionIdsCommand({ SecretId: NAME }));

    expect(out.Versions?.[0]?.CreatedDate).toEqual(then);
    expect(sm.calls).toEqual([{ operation: 'ListSecretVersionIds', secretId: NAME }]);
  });

  it('rejects a NextToken it did not issue', async () => {
    sm.createSecretDirect(NAME, 'v1');

    const error = await failure(
      client.send(new ListSecretVersionIdsCommand({ SecretId: NAME, NextToken: 'bogus' })),
    );

    expect(error).toBeInstanceOf(InvalidNextTokenException);
  });
});

describe('ListSecrets', () => {
  it('lists every secret with its rotation configuration, page by page', async () => {
    const rotated = sm.createSecretDirect(NAME, 'v1', { rotation: { lambdaArn: LAMBDA } }).arn;
    const plain = sm.createSecretDirect('other', 'v1').arn;

    const first = await client.send(new ListSecretsCommand({ MaxResults: 1 }));
    const second = await client.send(new ListSecretsCommand({ MaxResults: 1, NextToken: first.NextToken }));

    expect(first.SecretList).toEqual([
      expect.objectContaining({ ARN: rotated, Name: NAME, RotationEnabled: true, RotationLambdaARN: LAMBDA }),
    ]);
    expect(second.SecretList).toEqual([expect.objectContaining({ ARN: plain, Name: 'other' })]);
    expect(second.NextToken).toBeUndefined();
    // A SecretListEntry holds what DescribeSecret says, with the versions' labels as SecretVersionsToStages.
    const {
      VersionIdsToStages,
      $metadata: _,
      ...described
    } = await client.send(new DescribeSecretCommand({ SecretId: rotated }));
    expect(first.SecretList?.[0]).toEqual({ ...described, SecretVersionsToStages: VersionIdsToStages });
  });
});

describe('BatchGetSecretValue', () => {
  it("returns each listed secret's AWSCURRENT value, and a secret it cannot read as an error entry", async () => {
    const first = sm.createSecretDirect(NAME, 'v1');
    const second = sm.createSecretDirect('other', 'o1');
    await put('v2');
    const missing = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-AbCdEf';

    const out = await client.send(
      new BatchGetSecretValueCommand({ SecretIdList: [first.arn, missing, 'other'] }),
    );

    expect(out.SecretValues).toEqual([
      expect.objectContaining({
        ARN: first.arn,
        Name: NAME,
        SecretString: 'v2',
        VersionStages: ['AWSCURRENT'],
      }),
      expect.objectContaining({
        ARN: second.arn,
        Name: 'other',
        SecretString: 'o1',
        VersionId: second.versionId,
      }),
    ]);
    expect(out.Errors).toEqual([
      { SecretId: missing, ErrorCode: 'ResourceNotFoundException', Message: expect.any(String) },
    ]);
    expect(sm.calls.at(-1)).toEqual({
      operation: 'BatchGetSecretValue',
      secretIds: [first.arn, missing, 'other'],
    });
  });

  it('takes 1 to 20 ids, and either SecretIdList or Filters', async () => {
    const ids = Array.from({ length: 21 }, (_, index) => `secret-${index}`);

    // The SDK models no ValidationException for Secrets Manager: it is a generic service exception.
    expect(await failure(client.send(new BatchGetSecretValueCommand({ SecretIdList: ids })))).toMatchObject({
      name: 'ValidationException',
    });
    expect(await failure(client.send(new BatchGetSecretValueCommand({})))).toBeInstanceOf(
      InvalidParameterException,
    );
    const both = new BatchGetSecretValueCommand({
      SecretIdList: [NAME],
      Filters: [{ Key: 'name', Values: ['x'] }],
    });
    expect(await failure(client.send(both))).toBeInstanceOf(InvalidParameterException);
    const withMax = new BatchGetSecretValueCommand({ SecretIdList: [NAME], MaxResults: 5 });
    expect(await failure(client.send(withMax))).toBeInstanceOf(InvalidParameterException);
  });
});

describe('DescribeSecret', () => {
  it('reports the day a value was last read', async () => {
    const today = () => new Date(new Date().setUTCHours(0, 0, 0, 0)).getTime();
    sm.createSecretDirect(NAME, 'v1');
    const before = await client.send(new DescribeSecretCommand({ SecretId: NAME }));

    // The emulator reads the real clock: the day of the read, bracketed in case midnight passes meanwhile.
    const dayBefore = today();
    await client.send(new GetSecretValueCommand({ SecretId: NAME }));
    const dayAfter = today();
    const after = await client.send(new DescribeSecretCommand({ SecretId: NAME }));

    expect(before).not.toHaveProperty('LastAccessedDate');
    expect([dayBefore, dayAfter]).toContain(after.LastAccessedDate?.getTime());
  });

  it('leaves out rotation fields for a secret never configured for rotation', async () => {
    sm.createSecretDirect(NAME, 'v1');

    const described = await client.send(new DescribeSecretCommand({ SecretId: NAME }));

    expect(described).not.toHaveProperty('RotationEnabled');
    for (const field of [
      'RotationLambdaARN',
      'RotationRules',
      'LastRotatedDate',
      'NextRotationDate',
      'Tags',
    ]) {
      expect(described).not.toHaveProperty(field);
    }
    expect(described.CreatedDate).toEqual(described.LastChangedDate);
  });
});

describe('RotateSecret', () => {
  it('invokes the four steps in order with the same ClientRequestToken and RotationToken', async () => {
    const { arn, versionId: original } = sm.createSecretDirect(NAME, 'v1');
    const seen: RotationEvent[] = [];
    sm.setRotationInvoker(LAMBDA, templateRotator('v2', seen));

    const { VersionId } = await rotate();
    const outcome = await sm.waitForRotation(NAME);

    expect(outcome).toEqual({ kind: 'rotation', status: 'succeeded', versionId: VersionId });
    expect(seen.map((event) => event.Step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    const rotationToken = seen[0]?.RotationToken;
    expect(rotationToken).toMatch(/^[A-Za-z0-9-]{36,256}$/);
    expect(rotationToken).not.toBe(VersionId);
    for (const event of seen) {
      expect(event).toEqual({
        Step: event.Step,
        SecretId: arn,
        ClientRequestToken: VersionId,
        RotationToken: rotationToken,
      });
    }
    expect(sm.receivedRotationTokens(NAME)).toEqual([rotationToken]);
    expectNoSecrets(JSON.stringify(sm.calls), [String(rotationToken)]);
    expect(stages()).toEqual({
      [original]: ['AWSPREVIOUS'],
      [VersionId ?? '']: ['AWSCURRENT', 'AWSPENDING'],
    });
    expect(sm.events(NAME).map(({ eventName, versionId }) => [eventName, versionId])).toEqual([
      ['RotationStarted', VersionId],
      ['RotationSucceeded', VersionId],
    ]);
  });

  it('creates the AWSPENDING placeholder without a value before createSecret runs', async () => {
    sm.createSecretDirect(NAME, 'v1');
    const observed: unknown[] = [];
    sm.setRotationInvoker(LAMBDA, async (event) => {
      if (event.Step !== 'createSecret') return;
      const { ClientRequestToken: token, SecretId } = event;
      const described = await client.send(new DescribeSecretCommand({ SecretId }));
      const read = await failure(
        client.send(new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' })),
      );
      observed.push(described.VersionIdsToStages?.[token], read);
      await client.send(
        new PutSecretValueCommand({
          SecretId,
          ClientRequestToken: token,
          SecretString: 'v2',
          VersionStages: ['AWSPENDING'],
        }),
      );
    });

    const { VersionId } = await rotate();
    await sm.waitForRotation(NAME);

    const [placeholderStages, read] = observed;
    expect(placeholderStages).toEqual(['AWSPENDING']);
    expect(read).toBeInstanceOf(ResourceNotFoundException);
    expect((read as Error).message).toBe(
      "Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
    );
    // Filling the placeholder without the RotationToken is not a manual write: nothing is abandoned.
    expect(sm.versions(NAME).find((version) => version.versionId === VersionId)).toMatchObject({
      stages: ['AWSPENDING'],
      value: 'v2',
    });
  });

  it('answers without waiting for the steps', async () => {
    sm.createSecretDirect(NAME, 'v1');
    const gate = deferred();
    const steps: string[] = [];
    sm.setRotationInvoker(LAMBDA, async (event) => {
      steps.push(event.Step);
      await gate.promise;
    });

    // Every step is held until the answer arrives: a RotateSecret that waited for them would never answer.
    const { VersionId } = await rotate();
    gate.resolve();

    expect(await sm.waitForRotation(NAME)).toEqual({
      kind: 'rotation',
      status: 'succeeded',
      versionId: VersionId,
    });
    expect(steps).toHaveLength(4);
  });

  it('stores the schedule and reports LastRotatedDate and NextRotationDate', async () => {
    sm.createSecretDirect(NAME, 'v1');
    sm.setRotationInvoker(LAMBDA, templateRotator('v2'));

    await client.send(
      new RotateSecretCommand({
        SecretId: NAME,
        RotationLambdaARN: LAMBDA,
        RotationRules: { ScheduleExpression: 'rate(10 days)', Duration: '3h' },
      }),
    );
    await sm.waitForRotation(NAME);
    const described = await client.send(new DescribeSecretCommand({ SecretId: NAME }));

    expect(described).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: LAMBDA,
      RotationRules: { ScheduleExpression: 'rate(10 days)', Duration: '3h' },
    });
    const lastRotated = described.LastRotatedDate?.getTime() ?? 0;
    expect(Date.now() - lastRotated).toBeLessThan(5_000);
    expect(described.NextRotationDate?.getTime()).toBe(lastRotated + 10 * DAY_MS);
  });

  it('starts again with the configured function when AWSPENDING stayed on the current version', async () => {
    sm.createSecretDirect(NAME, 'v1');
    sm.setRotationInvoker(LAMBDA, templateRotator('v2'));
    await rotate();
    await sm.waitForRotation(NAME);
    sm.setRotationInvoker(LAMBDA, templateRotator('v3'));

    const second = await client.send(new RotateSecretCommand({ SecretId: NAME }));
    await sm.waitForRotation(NAME);

    const current = await client.send(new GetSecretValueCommand({ SecretId: NAME }));
    expect(current).toMatchObject({ VersionId: second.VersionId, SecretString: 'v3' });
  });

  it('validates the configuration before changing anything', async () => {
    const original = sm.createSecretDirect(NAME, 'v1').versionId;
    sm.setRotationInvoker(LAMBDA, templateRotator('v2'));
    const attempt = (input: Omit<ConstructorParameters<typeof RotateSecretCommand>[0], 'SecretId'>) =>
      failure(client.send(new RotateSecretCommand({ SecretId: NAME, ...input })));

    const both = await attempt({
      RotationLambdaARN: LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 1, ScheduleExpression: 'rate(1 day)' },
    });
    const tooOften = await attempt({
      RotationLambdaARN: LAMBDA,
      RotationRules: { ScheduleExpression: 'rate(1 hour)' },
    });
    const zeroDays = await attempt({
      RotationLambdaARN: LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 0 },
    });
    const noFunction = await attempt({});
    const notInvokable = await attempt({ RotationLambdaARN: `${LAMBDA}-unknown` });
    const tokenInUse = await attempt({ RotationLambdaARN: LAMBDA, ClientRequestToken: original });

    expect(both).toBeInstanceOf(InvalidParameterException);
    expect(both.message).toBe('You cannot specify both rotation frequency and schedule expression together');
    expect(tooOften).toBeInstanceOf(InvalidParameterException);
    expect(zeroDays.name).toBe('ValidationException');
    expect(noFunction).toBeInstanceOf(InvalidRequestException);
    expect(notInvokable.name).toBe('AccessDeniedException');
    expect(tokenInUse).toBeInstanceOf(ResourceExistsException);
    expect(sm.versions(NAME)).toHaveLength(1);
    expect(await client.send(new DescribeSecretCommand({ SecretId: NAME }))).not.toHaveProperty(
      'RotationEnabled',
    );
  });

  it('reports a failed step as RotationFailed and leaves AWSPENDING on the empty placeholder', async () => {
    const { arn } = sm.createSecretDirect(NAME, 'v1');
    const seen: RotationEvent[] = [];
    sm.setRotationInvoker(LAMBDA, failingRotator('setSecret', seen));

    const { VersionId } = await rotate();
    const outcome = await sm.waitForRotation(NAME);

    expect(outcome).toEqual({
      kind: 'rotation',
      status: 'failed',
      versionId: VersionId,
      failedStep: 'setSecret',
      errorMessage: 'Factify answered 503',
    });
    expect(seen.map((event) => event.Step)).toEqual(['createSecret', 'setSecret']);
    expect(sm.events(arn).at(-1)).toEqual({
      eventName: 'RotationFailed',
      eventTime: expect.any(Date),
      secretId: arn,
      versionId: VersionId,
      errorMessage: `Error when executing lambda ${LAMBDA} during setSecret step: Factify answered 503`,
    });
    expect(sm.versions(NAME).at(-1)).toMatchObject({
      versionId: VersionId,
      stages: ['AWSPENDING'],
      value: undefined,
    });
  });

  it('refuses a new rotation while a failed one holds AWSPENDING', async () => {
    sm.createSecretDirect(NAME, 'v1');
    sm.setRotationInvoker(LAMBDA, failingRotator('createSecret'));
    await rotate();
    await sm.waitForRotation(NAME);

    const error = await failure(rotate());

    expect(error).toBeInstanceOf(InvalidRequestException);
    expect(error.message).toBe("A previous rotation isn't complete. That rotation will be reattempted.");
    expect(sm.versions(NAME)).toHaveLength(2);
  });

  it('retries a failed rotation from createSecret with the same tokens', async () => {
    sm.createSecretDirect(NAME, 'v1');
    const failed: RotationEvent[] = [];
    const retried: RotationEvent[] = [];
    sm.setRotationInvoker(LAMBDA, failingRotator('testSecret', failed));
    const { VersionId } = await rotate();
    await sm.waitForRotation(NAME);
    sm.setRotationInvoker(LAMBDA, templateRotator('v2', retried));

    const outcome = await sm.retryRotation(NAME);

    expect(outcome).toMatchObject({ status: 'succeeded', versionId: VersionId });
    expect(retried.map((event) => event.Step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    expect(new Set([...failed, ...retried].map((event) => event.RotationToken)).size).toBe(1);
    expect(new Set([...failed, ...retried].map((event) => event.ClientRequestToken))).toEqual(
      new Set([VersionId]),
    );
    expect(sm.events(NAME).map((event) => event.eventName)).toEqual([
      'RotationStarted',
      'RotationFailed',
      'RotationStarted',
      'RotationSucceeded',
    ]);
    expect(await sm.waitForRotation(NAME)).toEqual(outcome);
  });

  it('has nothing to retry unless a rotation failed', async () => {
    sm.createSecretDirect(NAME, 'v1');
    sm.setRotationInvoker(LAMBDA, templateRotator('v2'));

    await expect(sm.retryRotation(NAME)).rejects.toThrow(/No failed rotation/);
    await rotate();
    await sm.waitForRotation(NAME);
    await expect(sm.retryRotation(NAME)).rejects.toThrow(/No failed rotation/);
  });

  it('with RotateImmediately=false only runs testSecret on an empty placeholder, then removes it', async () => {
    const { versionId: original } = sm.createSecretDirect(NAME, 'v1');
    const seen: RotationEvent[] = [];
    let pendingRead: unknown;
    sm.setRotationInvoker(LAMBDA, async (event) => {
      seen.push(event);
      pendingRead = await failure(
        client.send(new GetSecretValueCommand({ SecretId: event.SecretId, VersionStage: 'AWSPENDING' })),
      );
    });

    const { VersionId } = await rotate(false);
    const outcome = await sm.waitForRotation(NAME);

    expect(outcome).toEqual({ kind: 'test', status: 'succeeded', versionId: VersionId });
    expect(seen.map((event) => [event.Step, event.ClientRequestToken])).toEqual([['testSecret', VersionId]]);
    expect(pendingRead).toBeInstanceOf(ResourceNotFoundException);
    expect(stages()).toEqual({ [original]: ['AWSCURRENT'] });
    expect(sm.events(NAME).map((event) => event.eventName)).toEqual([
      'TestRotationStarted',
      'TestRotationSucceeded',
    ]);
    const described = await client.send(new DescribeSecretCommand({ SecretId: NAME }));
    expect(described.RotationEnabled).toBe(true);
    expect(described.LastRotatedDate).toBeUndefined();
    expect(described.NextRotationDate?.getTime()).toBe((described.CreatedDate?.getTime() ?? 0) + 30 * DAY_MS);
  });

  it('reports a failed configuration test as TestRotationFailed and still removes the placeholder', async () => {
    const { versionId: original } = sm.createSecretDirect(NAME, 'v1');
    sm.setRotationInvoker(LAMBDA, failingRotator('testSecret'));

    await rotate(false);
    const outcome = await sm.waitForRotation(NAME);

    expect(outcome).toMatchObject({ kind: 'test', status: 'failed', failedStep: 'testSecret' });
    expect(sm.events(NAME).at(-1)).toMatchObject({
      eventName: 'TestRotationFailed',
      errorMessage: `Error when executing lambda ${LAMBDA} during testSecret step: Factify answered 503`,
    });
    expect(stages()).toEqual({ [original]: ['AWSCURRENT'] });
    sm.setRotationInvoker(LAMBDA, templateRotator('v2'));
    await expect(rotate()).resolves.toBeDefined();
  });

  it('is abandoned by a manual PutSecretValue, which frees AWSPENDING and stops the steps', async () => {
    const { versionId: original } = sm.createSecretDirect(NAME, 'v1');
    const seen: RotationEvent[] = [];
    let manualVersion = '';
    sm.setRotationInvoker(LAMBDA, async (event) => {
      seen.push(event);
      if (event.Step === 'setSecret') manualVersion = (await put('typed-by-an-operator')).VersionId ?? '';
    });

    const { VersionId } = await rotate();
    const outcome = await sm.waitForRotation(NAME);

    expect(outcome).toEqual({ kind: 'rotation', status: 'abandoned', versionId: VersionId });
    expect(seen.map((event) => event.Step)).toEqual(['createSecret', 'setSecret']);
    expect(stages()).toEqual({
      [original]: ['AWSPREVIOUS'],
      [VersionId ?? '']: [],
      [manualVersion]: ['AWSCURRENT'],
    });
    expect(sm.events(NAME).map((event) => [event.eventName, event.versionId])).toEqual([
      ['RotationStarted', VersionId],
      ['RotationAbandoned', VersionId],
    ]);
    sm.setRotationInvoker(LAMBDA, templateRotator('v3'));
    await expect(rotate()).resolves.toBeDefined();
  });

  it('refuses its RotationToken once the rotation has finished', async () => {
    sm.createSecretDirect(NAME, 'v1');
    const seen: RotationEvent[] = [];
    sm.setRotationInvoker(LAMBDA, templateRotator('v2', seen));
    await rotate();
    await sm.waitForRotation(NAME);

    const late = await failure(
      client.send(
        new PutSecretValueCommand({
          SecretId: NAME,
          SecretString: 'late',
          RotationToken: seen[0]?.RotationToken,
        }),
      ),
    );

    expect(late.name).toBe('AccessDeniedException');
  });

  it('times out waiting for a step that never returns, naming the step', async () => {
    sm.createSecretDirect(NAME, 'v1');
    sm.setRotationInvoker(LAMBDA, async (event) => {
      if (event.Step === 'setSecret') await new Promise(() => {});
    });

    await rotate();

    await expect(sm.waitForRotation(NAME, 100)).rejects.toThrow(/still in its setSecret step after 100 ms/);
    await expect(sm.waitForRotation('unknown')).rejects.toThrow();
  });
});

describe('CancelRotateSecret', () => {
  it('turns rotation off and leaves AWSPENDING for the caller to remove', async () => {
    sm.createSecretDirect(NAME, 'v1');
    sm.setRotationInvoker(LAMBDA, failingRotator('setSecret'));
    const { VersionId } = await rotate();
    await sm.waitForRotation(NAME);

    const cancelled = await client.send(new CancelRotateSecretCommand({ SecretId: NAME }));
    const described = await client.send(new DescribeSecretCommand({ SecretId: NAME }));
    const blocked = await failure(rotate());
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: NAME,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: VersionId,
      }),
    );
    sm.setRotationInvoker(LAMBDA, templateRotator('v2'));
    await client.send(new RotateSecretCommand({ SecretId: NAME }));

    expect(cancelled.VersionId).toBe(VersionId);
    expect(described).toMatchObject({
      RotationEnabled: false,
      RotationRules: { AutomaticallyAfterDays: 30 },
    });
    expect(described).not.toHaveProperty('NextRotationDate');
    expect(blocked).toBeInstanceOf(InvalidRequestException);
    expect(await sm.waitForRotation(NAME)).toMatchObject({ status: 'succeeded' });
  });

  it('stops invoking the steps of a running rotation', async () => {
    sm.createSecretDirect(NAME, 'v1');
    const seen: RotationEvent[] = [];
    sm.setRotationInvoker(LAMBDA, async (event) => {
      seen.push(event);
      if (event.Step === 'setSecret') await client.send(new CancelRotateSecretCommand({ SecretId: NAME }));
    });

    const { VersionId } = await rotate();

    expect(await sm.waitForRotation(NAME)).toEqual({
      kind: 'rotation',
      status: 'cancelled',
      versionId: VersionId,
    });
    expect(seen.map((event) => event.Step)).toEqual(['createSecret', 'setSecret']);
  });
});

describe('fault injection', () => {
  it('fails the next call with an injected InternalServiceError (HTTP 500)', async () => {
    sm.createSecretDirect(NAME, 'v1');
    const single = sm.client({ maxAttempts: 1 });
    sm.failNext('GetSecretValue', { type: 'InternalServiceError', message: 'try later' });

    const error = await failure(single.send(new GetSecretValueCommand({ SecretId: NAME })));

    expect(error).toBeInstanceOf(InternalServiceError);
    expect(error.message).toBe('try later');
    expect(error.$metadata.httpStatusCode).toBe(500);
    await expect(single.send(new GetSecretValueCommand({ SecretId: NAME }))).resolves.toMatchObject({
      SecretString: 'v1',
    });
  });

  it('lets the SDK retry through transient faults, and surfaces them once attempts run out', async () => {
    sm.createSecretDirect(NAME, 'v1');
    sm.failNext('GetSecretValue', { type: 'InternalServiceError', times: 2 });

    const recovered = await client.send(new GetSecretValueCommand({ SecretId: NAME }));
    sm.failNext('GetSecretValue', { type: 'InternalServiceError', times: 3 });
    const exhausted = await failure(client.send(new GetSecretValueCommand({ SecretId: NAME })));

    expect(recovered.$metadata.attempts).toBe(3);
    expect(exhausted).toBeInstanceOf(InternalServiceError);
    expect(exhausted.$metadata.attempts).toBe(3);
    expect(sm.calls.filter((call) => call.operation === 'GetSecretValue')).toHaveLength(6);
  });

  it('injects throttling as a 400 ThrottlingException', async () => {
    sm.createSecretDirect(NAME, 'v1');
    sm.failNext('DescribeSecret', { type: 'ThrottlingException', message: 'Rate exceeded' });

    const error = await failure(
      sm.client({ maxAttempts: 1 }).send(new DescribeSecretCommand({ SecretId: NAME })),
    );

    expect(error.name).toBe('ThrottlingException');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('applies faults before the operation, so a failed write changes nothing', async () => {
    sm.createSecretDirect(NAME, 'v1');
    sm.failNext('PutSecretValue', { type: 'InternalServiceError' });

    await failure(
      sm.client({ maxAttempts: 1 }).send(new PutSecretValueCommand({ SecretId: NAME, SecretString: 'v2' })),
    );

    expect(sm.versions(NAME)).toHaveLength(1);
  });

  it('still applies a write held by a hang after its client timed out', async () => {
    sm.createSecretDirect(NAME, 'v1');
    const impatient = sm.client({
      maxAttempts: 1,
      requestHandler: { requestTimeout: 50, throwOnRequestTimeout: true },
    });
    // A hold 40 times the timeout: a timer late on a loaded machine must not let the answer through.
    sm.failNext('PutSecretValue', { hangMs: 2_000 });

    const error = await impatient
      .send(new PutSecretValueCommand({ SecretId: NAME, SecretString: 'v2' }))
      .then(
        () => undefined,
        (thrown: Error) => thrown,
      );

    expect(error?.name).toBe('TimeoutError');
    expect(sm.versions(NAME)).toHaveLength(1);
    await vi.waitFor(() => expect(sm.versions(NAME).map((version) => version.value)).toEqual(['v1', 'v2']), {
      timeout: 10_000,
    });
  });

  it('refuses faults it could not apply', () => {
    expect(() => sm.failNext('DeleteSecret', { type: 'InternalServiceError' })).toThrow(/does not implement/);
    expect(() => sm.failNext('GetSecretValue', { hangMs: 10, times: 0 })).toThrow(/positive integer/);
  });
});

describe('close()', () => {
  const networkHandles = () =>
    process
      .getActiveResourcesInfo()
      .filter((resource) => resource === 'TCPServerWrap' || resource === 'TCPSocketWrap');

  it('releases the server, its sockets and its clients promptly, even with a request held by a hang', async () => {
    const before = networkHandles();
    const other = await startSecretsManagerEmulator();
    const otherClient = other.client({ maxAttempts: 1 });
    other.createSecretDirect(NAME, 'v1');
    other.failNext('GetSecretValue', { hangMs: 60_000 });
    const held = otherClient
      .send(new GetSecretValueCommand({ SecretId: NAME }))
      .catch((error: Error) => error);
    await vi.waitFor(() => expect(other.calls).toHaveLength(1));

    // A close() that waited for the 60 s hang would outlast the test's timeout: no timed assertion needed.
    await other.close();

    expect(networkHandles()).toEqual(before);
    expect(await held).toBeInstanceOf(Error);
  });

  it('rejects a pending waitForRotation', async () => {
    sm.createSecretDirect(NAME, 'v1');
    sm.setRotationInvoker(LAMBDA, () => new Promise(() => {}));
    await rotate();
    const waiting = expect(sm.waitForRotation(NAME, 10_000)).rejects.toThrow(/closed/);

    await sm.close();

    await waiting;
  });
});
