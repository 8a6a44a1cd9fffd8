/**
 * `npm run demo`: one rotation of a Factify key on the built-in emulators, run with the operator CLI as an
 * operator would run it against AWS: `status`, `rotate --wait`, `status`. The local Secrets Manager (driven
 * by the real AWS SDK) runs each rotation step by invoking the built function bundle in a fresh process;
 * the lines marked "function" show those invocations.
 *
 * `npm run sandbox` (`npm run demo -- --keep`): the same, then the emulators stay up, with a second secret
 * whose rotation is stuck, and it prints the environment to paste into another terminal to try `status`,
 * `rotate` and `recover` by hand. Ctrl-C stops it.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { keyNameFor } from '../lambda/keys/key-naming.js';
import type { RotationEvent } from '../test/emulators/secrets-manager.js';
import { CLI } from '../test/support/cli-runner.js';
import type { Invocation } from '../test/support/lambda-runtime.js';
import { startRotationEnvironment } from '../test/support/rotation-environment.js';
import { type SeededSecret, seedSecret, stageOtherAppKeyAsPending } from '../test/support/seeded-secret.js';

const { keep } = parseArgs({ options: { keep: { type: 'boolean', default: false } } }).values;

/** Prints what the rotation function logged in one step: its own account of what it did. */
function narrate(event: RotationEvent, invocation: Invocation): void {
  for (const line of invocation.output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const { message, keyId } = JSON.parse(line) as { message?: string; keyId?: string };
    if (message && message !== 'Step succeeded') {
      console.log(`  │ function ${event.Step}: ${message}${keyId ? ` (${keyId})` : ''}`);
    }
  }
  console.log(`  │ function ${event.Step}: ${invocation.ok ? 'succeeded' : 'failed'}`);
}

const environment = await startRotationEnvironment({ onStep: narrate });

/** Runs the built CLI with the emulators' region, endpoint and credentials, printing what it prints. */
function factifyRotation(...args: string[]): Promise<number> {
  console.log(`\n$ npx factify-rotation ${args.join(' ')}`);
  const child = spawn(process.execPath, [CLI, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      ...environment.env,
    },
    stdio: 'inherit',
  });
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

try {
  const seeded = seedSecret(environment);
  console.log('Local Secrets Manager and Factify are running on loopback.');
  console.log(
    `Secret prod/factify holds Factify key ${seeded.initialKey.id}; another application owns ${seeded.otherAppKey.id}.`,
  );

  const codes = [
    await factifyRotation('status', 'prod/factify'),
    await factifyRotation('rotate', 'prod/factify', '--wait'),
    await factifyRotation('status', 'prod/factify'),
  ];
  if (codes.some((code) => code !== 0)) process.exitCode = 1;
  if (keep) await keepRunning();
} finally {
  await environment.close();
}

/** A secret whose rotation is stuck: AWSPENDING on an hour-old version, and a key a rotation left active. */
async function seedStuckSecret(): Promise<SeededSecret> {
  const stuck = seedSecret(environment, { name: 'prod/stuck' });
  const versionId = await stageOtherAppKeyAsPending(environment, stuck);
  environment.secretsManager.backdateVersion(stuck.arn, versionId, new Date(Date.now() - 3_600_000));
  // Left minutes after the key was put in by hand, so it shows its own prefix: one shared with the current key
  // would leave the current value unidentified (see lambda/keys/ownership.ts).
  environment.factify.seedKey(stuck.orgId, {
    name: keyNameFor(stuck.arn, randomUUID()),
    admin: false,
    createdAt: new Date(Date.now() - 5 * 60_000),
  });
  return stuck;
}

/** Prints what to paste into another terminal, then waits for Ctrl-C. */
async function keepRunning(): Promise<void> {
  await seedStuckSecret();
  const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;
  const lines = [
    '',
    "The emulators stay up. Paste this into another terminal (the credentials are the emulator's, not AWS's):",
    '',
    // A profile of this machine would take the place of the emulator's credentials.
    '  unset AWS_PROFILE AWS_SESSION_TOKEN FACTIFY_ADMIN_SECRET_ID',
    ...Object.entries(environment.env).map(([name, value]) => `  export ${name}=${quote(value)}`),
    `  alias factify-rotation=${quote(`node ${CLI}`)}`,
    '',
    'Then try:',
    '  factify-rotation status prod/factify                    # healthy, rotated once',
    '  factify-rotation rotate prod/factify --wait             # another rotation, step by step',
    '  factify-rotation status prod/stuck                      # a stuck rotation and a leftover key (exit 5)',
    '  factify-rotation recover prod/stuck                     # the plan, then the fix once you answer y',
    '  factify-rotation status prod/factify prod/stuck --json  # both, for scripts',
    '',
    'Press Ctrl-C to stop the emulators.',
  ];
  console.log(lines.join('\n'));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('Stopping the emulators.');
}
