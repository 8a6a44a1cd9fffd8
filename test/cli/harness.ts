import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect } from 'vitest';
import { keyNameFor } from '../../lambda/keys/key-naming.js';
import { type CliRun, runCli } from '../support/cli-runner.js';
import { expectNoSecrets } from '../support/no-secrets.js';
import { type RotationEnvironment, startRotationEnvironment } from '../support/rotation-environment.js';
import {
  revokeInDashboard,
  rotateSecret,
  type SeededSecret,
  seedSecret,
  stageOtherAppKeyAsPending as stagePendingOtherAppKey,
} from '../support/seeded-secret.js';

/** Older than the 15 minutes after which a pending rotation counts as stuck. */
export const AN_HOUR_AGO = () => new Date(Date.now() - 3_600_000);

export interface CliHarness {
  readonly environment: RotationEnvironment;
  readonly seeded: SeededSecret;
  /** Runs the built CLI with the operator's environment: the emulators' region, endpoint and credentials. */
  run(args: string[], extraEnv?: Record<string, string>): Promise<CliRun>;
  /** The versions of the seeded secret that hold `stage`. */
  versionsWith(stage: string): string[];
}

/** A fresh pair of emulators and a seeded, working secret (prod/factify) for each test. */
export function useCliHarness(): CliHarness {
  let environment: RotationEnvironment;
  let seeded: SeededSecret;
  const outputs: string[] = [];
  beforeEach(async () => {
    environment = await startRotationEnvironment();
    seeded = seedSecret(environment);
    outputs.length = 0;
  });
  afterEach(async () => {
    // Whatever a test did, no key reached the operator's terminal.
    expectNoKeys(outputs.join('\n'), environment, seeded);
    await environment.close();
  });
  return {
    get environment() {
      return environment;
    },
    get seeded() {
      return seeded;
    },
    async run(args, extraEnv = {}) {
      const result = await runCli(args, { ...environment.env, ...extraEnv });
      outputs.push(result.stdout, result.stderr);
      return result;
    },
    versionsWith(stage) {
      return environment.secretsManager
        .versions(seeded.arn)
        .filter((version) => version.stages.includes(stage))
        .map((version) => version.versionId);
    },
  };
}

function expectNoKeys(output: string, environment: RotationEnvironment, seeded: SeededSecret): void {
  const stored = environment.secretsManager.versions(seeded.arn).flatMap((version) => {
    const apiKey = version.value?.startsWith('{') ? JSON.parse(version.value).apiKey : undefined;
    return typeof apiKey === 'string' ? [apiKey] : [];
  });
  expectNoSecrets(output, [seeded.initialKey.key, seeded.otherAppKey.key, ...stored]);
}

/** Gives the rotation function a one-hour grace period before it revokes a replaced key. */
export function withGracePeriod(harness: CliHarness): void {
  Object.assign(harness.environment.env, {
    REVOKE_GRACE_SECONDS: '3600',
    REVOKE_SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/factify-revoke-scheduler',
  });
}

/** A rotation that fails in createSecret (the organization is at Factify's 5-key limit): AWSPENDING stays, without a value. */
export async function failRotationInCreateSecret(harness: CliHarness): Promise<string> {
  const { environment, seeded } = harness;
  for (const n of [1, 2, 3])
    environment.factify.seedKey(seeded.orgId, { name: `app-${n}`, createdAt: AN_HOUR_AGO() });
  const versionId = await rotateSecret(environment, seeded.arn);
  expect(await environment.secretsManager.waitForRotation(seeded.arn, 30_000)).toMatchObject({
    status: 'failed',
    failedStep: 'createSecret',
  });
  return versionId;
}

/** A rotation that fails in testSecret: AWSPENDING holds a new, active key this secret's rotation created. */
export async function failRotationInTestSecret(harness: CliHarness): Promise<string> {
  const { environment, seeded } = harness;
  environment.factify.inject({ method: 'GET', path: '/v1/organization', kind: 'status', status: 403 });
  const versionId = await rotateSecret(environment, seeded.arn);
  expect(await environment.secretsManager.waitForRotation(seeded.arn, 30_000)).toMatchObject({
    status: 'failed',
    failedStep: 'testSecret',
  });
  return versionId;
}

/** A rotation promoted by finishSecret, whose revoke of the replaced key failed (Factify down). */
export async function failRevokeInFinishSecret(harness: CliHarness): Promise<void> {
  const { environment, seeded } = harness;
  environment.factify.inject({
    method: 'DELETE',
    path: /^\/v1\/api-keys\//,
    kind: 'status',
    status: 503,
    times: 10,
  });
  await rotateSecret(environment, seeded.arn);
  expect(await environment.secretsManager.waitForRotation(seeded.arn, 30_000)).toMatchObject({
    status: 'failed',
    failedStep: 'finishSecret',
  });
  environment.factify.clearFaults();
}

/** A version of `seeded` (the harness's secret by default) staged AWSPENDING by hand, holding another application's key. */
export function stageOtherAppKeyAsPending(
  harness: CliHarness,
  seeded: SeededSecret = harness.seeded,
): Promise<string> {
  return stagePendingOtherAppKey(harness.environment, seeded);
}

/** An active key named as a rotation of this secret names its key, held by no version. */
export function seedOrphan(harness: CliHarness): string {
  const { environment, seeded } = harness;
  // Left by a rotation that failed minutes after the key was put in by hand: it shows its own prefix (an
  // orphan that shared the current key's would leave the current value unidentified, see ownership.ts).
  return environment.factify.seedKey(seeded.orgId, {
    name: keyNameFor(seeded.arn, randomUUID()),
    admin: false,
    createdAt: new Date(Date.now() - 5 * 60_000),
  }).id;
}

/** Revokes a key the way the Factify dashboard would, with another admin key of the organization. */
export function revokeAtFactify(harness: CliHarness, keyId: string, adminKey: string): Promise<void> {
  return revokeInDashboard(harness.environment, keyId, adminKey);
}
