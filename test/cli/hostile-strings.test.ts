import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { keyNameFor } from '../../lambda/keys/key-naming.js';
import { expectNoSecrets } from '../support/no-secrets.js';
import { useCliHarness } from './harness.js';

// Terminal escape sequences a hostile key name or comment could carry: clear the screen, set the window
// title, hide text, and a C1 control-sequence introducer; plus a right-to-left override.
const ESCAPES = '\u001b[2J\u001b]0;owned\u0007\u001b[8m\u009b31m\u202e\r\b';
const CONTROL = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

function expectPrintable(text: string): void {
  const lines = text.split('\n');
  expect(lines.filter((line) => CONTROL.test(line)).map((line) => JSON.stringify(line))).toEqual([]);
}

/** Factify strings reach the operator's terminal only without control characters. */
describe('the CLI prints Factify strings without control characters', () => {
  const harness = useCliHarness();

  function seedHostileOrphan(): string {
    const { environment, seeded } = harness;
    // A name the function's own prefix starts (so the CLI lists it as an orphan), then escape sequences.
    return environment.factify.seedKey(seeded.orgId, {
      name: `${keyNameFor(seeded.arn, randomUUID()).slice(0, 30)}${ESCAPES}`,
      admin: false,
      // Minutes after the first value, so it shows its own prefix (see seedOrphan).
      createdAt: new Date(Date.now() - 5 * 60_000),
    }).id;
  }

  it('in status, for a key name and a revocation comment', async () => {
    const { environment, seeded } = harness;
    environment.env.FACTIFY_ADMIN_SECRET_ID = environment.secretsManager.createSecretDirect(
      'factify-admin',
      JSON.stringify({ apiKey: environment.factify.seedKey(seeded.orgId, { name: 'rotation-admin' }).key }),
    ).arn;
    seedHostileOrphan();
    const admin = environment.factify.seedKey(seeded.orgId, { name: 'dashboard' });
    // Revoke the current key with a hostile reason: status shows the reason next to the key.
    const response = await request(`${environment.factify.url}/api-keys/${seeded.initialKey.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: `revoked ${ESCAPES}` }),
    });
    await response.body.dump();

    const { stdout, stderr } = await harness.run(['status', 'prod/factify']);

    expect(stdout).toContain('Orphaned keys');
    expect(stdout).toContain('("revoked [2J]0;owned[8m31m")');
    expectPrintable(stdout);
    expectPrintable(stderr);
  });

  it("in recover's plan and outcome", async () => {
    const orphan = seedHostileOrphan();

    const { stdout, stderr } = await harness.run(['recover', 'prod/factify', '--yes']);

    expect(stdout).toContain(`revoke ${orphan}`);
    expectPrintable(stdout);
    expectPrintable(stderr);
  });

  it('in a Factify error that echoes the key JSON-escaped, with escape sequences', async () => {
    const { environment, seeded } = harness;
    environment.factify.inject({
      method: 'GET',
      path: '/v1/api-keys',
      kind: 'status',
      status: 400,
      times: 10,
      body: { detail: `bad key ${seeded.initialKey.key.replaceAll('_', '\\u005f')} ${ESCAPES}` },
    });

    const text = await harness.run(['status', 'prod/factify']);
    const json = await harness.run(['status', 'prod/factify', '--json']);

    expect(JSON.parse(json.stdout).factify.error).toMatch(/Factify rejected/);
    for (const run of [text, json]) {
      expectPrintable(run.stdout);
      expectNoSecrets(run.stdout + run.stderr, [seeded.initialKey.key]);
    }
  });
});

/** A key pasted into the command line by mistake is not printed back, nor are control characters. */
describe('the CLI echoes its arguments in usage errors only redacted and printable', () => {
  const harness = useCliHarness();

  it.each([
    ['an unknown command', (key: string) => [`${key}${ESCAPES}`]],
    ['an unexpected argument', (key: string) => ['recover', 'prod/factify', `${key}${ESCAPES}`]],
  ])('for %s', async (_what, argv) => {
    const key = harness.seeded.initialKey.key;

    const { code, stderr } = await harness.run(argv(key));

    expect(code).toBe(2);
    // First the check that reports a leak by position, so that a failure never prints the key.
    expectNoSecrets(stderr, [key]);
    expect(stderr).toMatch(/\[redacted\]/);
    expectPrintable(stderr);
  });
});
