import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { request } from 'undici';
import { expect } from 'vitest';
import { expectNoSecrets } from './no-secrets.js';
import { FUNCTION_ARN, type RotationEnvironment } from './rotation-environment.js';

export interface SeededSecret {
  arn: string;
  orgId: string;
  initialVersionId: string;
  initialKey: { id: string; key: string };
  /** A key of another application in the same organization: it must never be touched. */
  otherAppKey: { id: string; key: string };
  adminKey?: { id: string; key: string };
}

/**
 * A secret holding a working Factify admin key, with rotation configured to the function, and another
 * application's key in the same organization. With `admin`, an admin secret manages keys instead.
 */
export function seedSecret(
  environment: RotationEnvironment,
  options: { name?: string; admin?: boolean; withoutKeyId?: boolean } = {},
): SeededSecret & { adminSecretArn?: string } {
  const { factify, secretsManager } = environment;
  const orgId = factify.createOrganization('Acme').id;
  // Made by people minutes apart, so each shows its own prefix: a hand-written value is identified by it.
  const initialKey = factify.seedKey(orgId, { name: 'Production', admin: !options.admin });
  const otherAppKey = factify.seedKey(orgId, { name: 'billing-service', createdAt: minutesAgo(10) });
  const value = options.withoutKeyId
    ? { apiKey: initialKey.key, team: 'payments' }
    : { apiKey: initialKey.key, apiKeyId: initialKey.id, team: 'payments' };
  const { arn, versionId } = secretsManager.createSecretDirect(
    options.name ?? 'prod/factify',
    JSON.stringify(value),
    {
      rotation: { lambdaArn: FUNCTION_ARN, rules: { ScheduleExpression: 'rate(30 days)' } },
    },
  );
  if (!options.admin) return { arn, orgId, initialVersionId: versionId, initialKey, otherAppKey };
  const adminKey = factify.seedKey(orgId, { name: 'rotation-admin', createdAt: minutesAgo(20) });
  const admin = secretsManager.createSecretDirect('factify-admin', JSON.stringify({ apiKey: adminKey.key }));
  return {
    arn,
    orgId,
    initialVersionId: versionId,
    initialKey,
    otherAppKey,
    adminKey,
    adminSecretArn: admin.arn,
  };
}

/** Starts a rotation the way the schedule does: RotateSecret through the SDK. */
export async function rotateSecret(environment: RotationEnvironment, arn: string): Promise<string> {
  const out = await environment.secretsManager.client().send(new RotateSecretCommand({ SecretId: arn }));
  return String(out.VersionId);
}

/** A version of `seeded` staged AWSPENDING by hand, holding another application's key; returns its id. */
export async function stageOtherAppKeyAsPending(
  environment: RotationEnvironment,
  seeded: SeededSecret,
): Promise<string> {
  const versionId = randomUUID();
  await environment.secretsManager.client().send(
    new PutSecretValueCommand({
      SecretId: seeded.arn,
      ClientRequestToken: versionId,
      SecretString: JSON.stringify({ apiKey: seeded.otherAppKey.key, apiKeyId: seeded.otherAppKey.id }),
      VersionStages: ['AWSPENDING'],
    }),
  );
  return versionId;
}

/** GET /organization with the key, as a consumer's first call would. */
export async function keyWorks(environment: RotationEnvironment, key: string): Promise<boolean> {
  const response = await request(`${environment.factify.url}/organization`, {
    headers: { authorization: `Bearer ${key}` },
  });
  await response.body.dump();
  return response.statusCode === 200;
}

/**
 * The end state every rotation must reach, whatever failed on the way: the secret's AWSCURRENT key works,
 * AWSPENDING is on no version, the replaced key is revoked exactly once with reason "rotated", this secret
 * owns exactly one active key, the other application's key is untouched, and no key or RotationToken was
 * printed.
 */
export async function expectRotated(
  environment: RotationEnvironment,
  seeded: SeededSecret,
  versionId: string,
) {
  const { factify, secretsManager } = environment;
  const versions = secretsManager.versions(seeded.arn);
  const current = versions.find((version) => version.stages.includes('AWSCURRENT'));
  expect(current?.versionId).toBe(versionId);
  expect(versions.filter((version) => version.stages.includes('AWSPENDING'))).toEqual([]);
  expect(versions.find((version) => version.versionId === seeded.initialVersionId)?.stages).toEqual([
    'AWSPREVIOUS',
  ]);

  const value = JSON.parse(String(current?.value)) as { apiKey: string; apiKeyId: string; team: string };
  expect(value.team).toBe('payments');
  expect(await keyWorks(environment, value.apiKey), 'the AWSCURRENT key authenticates').toBe(true);

  expect(factify.revocations(seeded.initialKey.id), 'the replaced key is revoked').toBe(1);
  const all = factify.keys(seeded.orgId, { includeRevoked: true });
  expect(all.find((key) => key.id === seeded.initialKey.id)?.revoked_comment).toBe('rotated');
  const active = factify.keys(seeded.orgId).filter((key) => key.is_active);
  const expected = [value.apiKeyId, seeded.otherAppKey.id, ...(seeded.adminKey ? [seeded.adminKey.id] : [])];
  expect(active.map((key) => key.id).sort(), 'the active keys: current, other application, admin').toEqual(
    expected.sort(),
  );
  expect(factify.deleteCalls(seeded.otherAppKey.id), 'revoke requests for the other application').toBe(0);
  expect(factify.violations).toEqual([]);
  expectNoSecretsPrinted(environment, [
    seeded.initialKey.key,
    value.apiKey,
    ...secretsManager.receivedRotationTokens(seeded.arn),
  ]);
}

export function expectNoSecretsPrinted(environment: RotationEnvironment, secrets: string[]): void {
  expectNoSecrets(environment.output(), secrets);
}

function minutesAgo(minutes: number): Date {
  return new Date(Date.now() - minutes * 60_000);
}

/** Revokes a key the way the Factify dashboard would, with another admin key of the organization. */
export async function revokeInDashboard(
  environment: RotationEnvironment,
  keyId: string,
  adminKey: string,
): Promise<void> {
  const response = await request(`${environment.factify.url}/api-keys/${keyId}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'revoked in the dashboard' }),
  });
  await response.body.dump();
  expect(response.statusCode).toBe(204);
}
