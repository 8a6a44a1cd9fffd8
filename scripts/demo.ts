/**
 * `npm run demo`: one rotation of a Factify key on the built-in emulators, run with the operator CLI as an
 * operator would run it against AWS: `status`, `rotate --wait`, `status`. The local Secrets Manager (driven
 * by the real AWS SDK) runs each rotation step by invoking the built function bundle in a fresh process;
 * the lines marked "function" show those invocations.
 */
import { spawn } from 'node:child_process';
import type { RotationEvent } from '../test/emulators/secrets-manager.js';
import { CLI } from '../test/support/cli-runner.js';
import type { Invocation } from '../test/support/lambda-runtime.js';
import { startRotationEnvironment } from '../test/support/rotation-environment.js';
import { seedSecret } from '../test/support/seeded-secret.js';

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
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
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
} finally {
  await environment.close();
}
