/**
 * `npm run demo`: one complete rotation of a Factify key, step by step, on the built-in emulators: the
 * local Secrets Manager emulator (driven by the real AWS SDK) and the local Factify simulator. Each step
 * runs the built bundle (dist/lambda/index.mjs) in a fresh process, as Lambda would.
 */
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { RotationEvent } from '../test/emulators/secrets-manager.js';
import type { Invocation } from '../test/support/lambda-runtime.js';
import { type RotationEnvironment, startRotationEnvironment } from '../test/support/rotation-environment.js';
import { keyWorks, seedSecret } from '../test/support/seeded-secret.js';

const STEP_WORDS: Record<string, string> = {
  createSecret: 'create a replacement key at Factify and store it as AWSPENDING',
  setSecret: 'check the pending value (Factify keys are live from creation)',
  testSecret: 'prove the new key works against Factify',
  finishSecret: 'promote it to AWSCURRENT and revoke the old key',
};

function narrate(event: RotationEvent, invocation: Invocation): void {
  console.log(`\n▶ ${event.Step}: ${STEP_WORDS[event.Step]}`);
  for (const line of invocation.output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { level: string; message: string; keyId?: string; outcome?: string };
    if (entry.message === 'Step succeeded') continue;
    console.log(`    ${entry.level.padEnd(5)} ${entry.message}${entry.keyId ? ` (${entry.keyId})` : ''}`);
  }
  console.log(invocation.ok ? '  ✓ done' : `  ✗ failed: ${invocation.error?.errorMessage}`);
}

function showState(environment: RotationEnvironment, arn: string, orgId: string): void {
  console.log('  Secret versions:');
  for (const version of environment.secretsManager.versions(arn)) {
    const keyId = version.value ? (JSON.parse(version.value) as { apiKeyId?: string }).apiKeyId : undefined;
    console.log(
      `    ${version.versionId}  ${version.stages.join(', ').padEnd(11)}  ${keyId ?? '(no apiKeyId)'}`,
    );
  }
  console.log('  Factify keys of the organization:');
  for (const key of environment.factify.keys(orgId, { includeRevoked: true })) {
    const state = key.is_active ? 'active' : `revoked ("${key.revoked_comment}")`;
    console.log(`    ${key.id}  ${key.name.padEnd(52)}  ${state}`);
  }
}

const environment = await startRotationEnvironment({ onStep: narrate });
try {
  const seeded = seedSecret(environment);
  console.log('Local Secrets Manager and Factify are running on loopback.');
  console.log(
    `Secret ${seeded.arn} holds Factify key ${seeded.initialKey.id}; another application owns ${seeded.otherAppKey.id}.`,
  );
  console.log('\nBefore the rotation:');
  showState(environment, seeded.arn, seeded.orgId);

  console.log('\nRotateSecret (what the schedule does every 30 days):');
  await environment.secretsManager.client().send(new RotateSecretCommand({ SecretId: seeded.arn }));
  const outcome = await environment.secretsManager.waitForRotation(seeded.arn, 120_000);

  console.log(`\nAfter the rotation (${outcome.status}):`);
  showState(environment, seeded.arn, seeded.orgId);
  const current = environment.secretsManager
    .versions(seeded.arn)
    .find((version) => version.stages.includes('AWSCURRENT'));
  const newKey = (JSON.parse(String(current?.value)) as { apiKey: string }).apiKey;
  const newWorks = await keyWorks(environment, newKey);
  const oldWorks = await keyWorks(environment, seeded.initialKey.key);
  console.log(
    `\nThe new AWSCURRENT key ${newWorks ? 'works' : 'does NOT work'}; the old key ${oldWorks ? 'still works' : 'is revoked'}.`,
  );
  if (outcome.status !== 'succeeded' || !newWorks || oldWorks) process.exitCode = 1;
} finally {
  await environment.close();
}
