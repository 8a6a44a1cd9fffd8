import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { keyNameFor } from '../../lambda/keys/key-naming.js';
import { expectNoSecrets } from '../support/no-secrets.js';
import { AN_HOUR_AGO, useCliHarness } from './harness.js';

// Terminal escape sequences a hostile key name or comment could carry: clear the screen, set the window
// title, hide text, and a C1 control-sequence introducer; plus a right-to-left override.
const ESCAPES = '\u001b[2J\u001b]0;owned\u0007\u001b[8m\u009b31m\u202e\r\b';
const CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Zl}\p{Zp}]/u;

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
    expect(stdout).toContain(
      '("revoked \\u001b[2J\\u001b]0;owned\\u0007\\u001b[8m\\u009b31m\\u202e\\u000d\\u0008")',
    );
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

/**
 * A version id is whatever ClientRequestToken the secret's writer chose. The runbook tells the operator to
 * paste the log command that status prints: it must never carry the writer's text.
 */
describe('the CLI never prints a command built from a hostile version id', () => {
  const harness = useCliHarness();
  const HOSTILE = `x' ;touch pwned;: '${'a'.repeat(20)}`;
  const INVISIBLE_ID = `${'b'.repeat(32)}\u200b\u200f\u2028\u{e0041}\ue000`;

  async function stageStuck(versionId: string): Promise<void> {
    const { environment, seeded } = harness;
    await environment.secretsManager.client().send(
      new PutSecretValueCommand({
        SecretId: seeded.arn,
        ClientRequestToken: versionId,
        SecretString: JSON.stringify({ note: 'hand-made' }),
        VersionStages: ['AWSPENDING'],
      }),
    );
    environment.secretsManager.backdateVersion(seeded.arn, versionId, AN_HOUR_AGO());
  }

  it('status of a stuck rotation prints the command without it, and the id apart, escaped', async () => {
    await stageStuck(HOSTILE);

    const { code, stdout } = await harness.run(['status', 'prod/factify']);

    expect(code).toBe(5);
    const commandLines = stdout.split('\n').filter((line) => line.includes('aws logs tail'));
    expect(commandLines).toHaveLength(1);
    expect(commandLines[0]).not.toContain('touch');
    expect(commandLines[0]).not.toContain('--filter-pattern');
    expect(stdout).toContain(`versionId ${JSON.stringify(HOSTILE)}   # not a command`);
  });

  it('status shows a version id with invisible characters escaped', async () => {
    await stageStuck(INVISIBLE_ID);

    const { stdout } = await harness.run(['status', 'prod/factify']);

    expectPrintable(stdout);
    expect(stdout).not.toMatch(/[\u200b\u200f\u2028\ue000]|\u{e0041}/u);
    expect(stdout).toContain('\\u200b\\u200f\\u2028\\udb40\\udc41\\ue000');
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
