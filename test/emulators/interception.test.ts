import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FactifySimulator, startFactifySimulator } from './factify.js';
import type { InterceptedCall } from './interception.js';
import { type SecretsManagerEmulator, startSecretsManagerEmulator } from './secrets-manager.js';

/** The hook the crash matrix uses: it sees each call, and a crash leaves the call lost or applied, never answered. */
describe('call interception', () => {
  let secretsManager: SecretsManagerEmulator;
  let factify: FactifySimulator;
  beforeEach(async () => {
    secretsManager = await startSecretsManagerEmulator();
    factify = await startFactifySimulator();
  });
  afterEach(async () => {
    await Promise.all([secretsManager.close(), factify.close()]);
  });

  async function putValue(value: string) {
    const { arn } = secretsManager.createSecretDirect('prod/factify', 'v1');
    const client = secretsManager.client({ maxAttempts: 1 });
    const sent = client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: value }));
    return { arn, sent };
  }

  it.each([
    [false, ['v1']],
    [true, ['v1', 'v2']],
  ])('Secrets Manager: applied=%s stores %j and never answers', async (applied, values) => {
    const seen: InterceptedCall[] = [];
    let crashed = 0;
    secretsManager.intercept((call) => {
      seen.push(call);
      return { applied, crash: async () => void crashed++ };
    });

    const { arn, sent } = await putValue('v2');

    await expect(sent).rejects.toThrow();
    expect(seen).toEqual([{ service: 'secretsmanager', operation: 'PutSecretValue' }]);
    expect(crashed).toBe(1);
    expect(secretsManager.versions(arn).map((version) => version.value)).toEqual(values);
  });

  it('Secrets Manager: lets a call through when the interceptor returns nothing', async () => {
    secretsManager.intercept(() => undefined);

    const { arn, sent } = await putValue('v2');

    await expect(sent).resolves.toMatchObject({ VersionId: expect.any(String) });
    expect(secretsManager.versions(arn)).toHaveLength(2);
  });

  it.each([
    [false, 0],
    [true, 1],
  ])('Factify: applied=%s creates %i key, names the operation without ids', async (applied, created) => {
    const orgId = factify.createOrganization().id;
    const admin = factify.seedKey(orgId);
    const seen: InterceptedCall[] = [];
    factify.intercept((call) => {
      seen.push(call);
      return call.operation.startsWith('POST') ? { applied, crash: async () => {} } : undefined;
    });
    const headers = { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' };

    const create = request(`${factify.url}/api-keys`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'new' }),
    });
    await expect(create).rejects.toThrow();
    const revoke = await request(`${factify.url}/api-keys/${admin.id}`, { method: 'DELETE', headers });
    await revoke.body.dump();

    expect(seen.map((call) => call.operation)).toEqual(['POST /v1/api-keys', 'DELETE /v1/api-keys/{id}']);
    expect(factify.keys(orgId, { includeRevoked: true })).toHaveLength(1 + created);
    expect(factify.requests.map((logged) => `${logged.method} ${logged.status}`)).toEqual([
      ...(applied ? ['POST null'] : []),
      'DELETE 204',
    ]);
  });
});
