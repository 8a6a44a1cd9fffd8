import { describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../lambda/function/handler.js';
import { type AuditedSecret, MAX_ANSWER_BYTES, withinAnswer } from '../../lambda/health/audit.js';
import { keyNameFor } from '../../lambda/keys/key-naming.js';
import { InvalidEventError } from '../../lambda/telemetry/errors.js';
import { FakeFactify } from '../fakes/factify-keys.js';
import { FakeScheduler } from '../fakes/scheduler.js';
import { FakeSealKey } from '../fakes/seal-key.js';
import { FakeSecretStore } from '../fakes/secret-store.js';
import { expectNoSecrets } from '../support/no-secrets.js';
import { captureLogs, FUNCTION_ARN, SEAL_KEY_ID, startRotation } from './fixture.js';

const emfLines = (lines: Record<string, unknown>[]) => lines.filter((line) => '_aws' in line);

describe('the audit action', () => {
  const logs = captureLogs();

  it.each([
    ['an empty list', { Action: 'audit', SecretIds: [] }],
    ['a list that is not one', { Action: 'audit', SecretIds: 'prod/factify' }],
    ['a list of 101', { Action: 'audit', SecretIds: Array.from({ length: 101 }, (_, i) => `secret-${i}`) }],
    ['a non-string id', { Action: 'audit', SecretIds: ['prod/factify', 7] }],
    ['an empty id', { Action: 'audit', SecretIds: [' '] }],
    ['an extra field', { Action: 'audit', SecretIds: ['prod/factify'], SecretId: 'prod/factify' }],
  ])('rejects %s before any call', async (_name, event) => {
    const rotation = startRotation();
    rotation.store.calls.length = 0;

    const failure = rotation.invoke(event);
    await expect(failure).rejects.toBeInstanceOf(InvalidEventError);
    await expect(failure).rejects.toThrow(/Accepted shapes: .*the daily audit \{"Action": "audit"\}/);
    expect(rotation.store.calls).toEqual([]);
    expect(rotation.factify.calls).toEqual([]);
  });

  it('returns and logs verdicts, codes, counts and dates, never a version id or key id', async () => {
    const rotation = startRotation({ graceSeconds: 3600 });
    await rotation.rotate();
    // An orphan of this secret's rotations, and a rotation left pending: ids an invoker must not learn.
    const orphan = rotation.factify.addKey(rotation.orgId, { name: `fkr-x-${'o'.repeat(36)}`, admin: false });
    const pendingVersion = rotation.store.addPendingPlaceholder(rotation.arn);
    logs.reset();

    const report = await rotation.invoke({ Action: 'audit', SecretIds: [rotation.arn] });

    const printed = `${JSON.stringify(report)}\n${logs.text()}`;
    const ids = [
      rotation.currentVersionId,
      rotation.token,
      pendingVersion,
      rotation.currentKey.id,
      orphan.id,
      ...rotation.factify.calls.flatMap((call) => (call.keyId ? [call.keyId] : [])),
      ...Object.keys(await rotation.store.describe(rotation.arn).then((secret) => secret.versions)),
    ];
    expect(ids.filter((id) => printed.includes(id)).map((_id, index) => `id #${index}`)).toEqual([]);
    expect(report).toMatchObject({
      secrets: [
        {
          secretId: rotation.arn,
          secretName: 'prod/factify',
          // The fake store keeps no creation dates: a pending rotation of unknown age counts as stuck.
          verdict: 'stuck',
          findings: [{ code: 'rotation-stuck' }],
          rotation: { enabled: true },
          orphanedKeys: 0,
          replacedKeysNotRevoked: 0,
          scheduledRevocations: [{ revokeAt: '2026-11-27T01:00:00.000Z' }],
        },
      ],
    });
  });

  it('refuses the admin secret, by ARN or name, and reads nothing of it', async () => {
    const rotation = startRotation({ admin: true });
    const admin = await rotation.store.describe('factify-admin');
    rotation.store.calls.length = 0;
    rotation.factify.calls.length = 0;

    const report = (await rotation.invoke({
      Action: 'audit',
      SecretIds: [admin.arn, 'factify-admin', rotation.arn],
    })) as { secrets: Record<string, unknown>[]; summary: Record<string, number> };

    for (const refused of report.secrets.slice(0, 2)) {
      expect(refused).toMatchObject({ error: { code: 'ADMIN_SECRET_REFUSED' } });
    }
    expect(report.secrets[2]).toMatchObject({ secretId: rotation.arn, verdict: expect.any(String) });
    expect(report.secrets[2]).not.toHaveProperty('error');
    expect(report.summary).toMatchObject({ audited: 3, notChecked: 2 });
    // Only the audited secret's versions were read, and the admin's value once, as the manager's key.
    expect(rotation.store.calls.filter((call) => call === 'listVersions')).toHaveLength(1);
  });

  it('reads only, reports each secret, and goes on past a secret it cannot check', async () => {
    const rotation = startRotation();
    await rotation.rotate();
    rotation.store.calls.length = 0;
    rotation.factify.calls.length = 0;
    logs.reset();

    const report = (await rotation.invoke({
      Action: 'audit',
      SecretIds: ['prod/missing', rotation.arn],
    })) as { secrets: Record<string, unknown>[]; summary: Record<string, number> };

    expect(report.summary).toEqual({ audited: 2, healthy: 1, withFindings: 0, notChecked: 1 });
    expect(report.secrets[0]).toEqual({
      secretId: 'prod/missing',
      error: { name: 'Error', code: 'UNEXPECTED_ERROR' },
    });
    expect(report.secrets[1]).toMatchObject({ secretId: rotation.arn, verdict: 'healthy', findings: [] });
    expect(rotation.store.calls).not.toContain('listSecretsRotatedBy');
    expect(new Set(rotation.store.calls)).toEqual(new Set(['describe', 'listVersions', 'getValue']));
    expect(new Set(rotation.factify.calls.map((call) => call.method))).toEqual(new Set(['listKeys']));
    expect(logs.lines().find((line) => line.message === 'Audit could not check the secret')).toMatchObject({
      level: 'ERROR',
      secretId: 'prod/missing',
      finding: 'not-checked',
    });
    // The secret it could not check publishes nothing; the other publishes its health, then the fleet's.
    expect(emfLines(logs.lines()).slice(0, -1)).toEqual([
      expect.objectContaining({
        SecretName: 'prod/factify',
        RotationOverdue: 0,
        RotationStuck: 0,
        CurrentKeyNotActive: 0,
        OrphanedKeys: 0,
        ReplacedKeysNotRevoked: 0,
        ActiveKeys: 1,
      }),
    ]);
    expectNoSecrets(logs.text() + JSON.stringify(report), rotation.secrets());
  });
});

describe('metrics of a rotation', () => {
  const logs = captureLogs();

  it('publishes each step outcome, the completed rotation and the age of the key it revoked', async () => {
    const rotation = startRotation();
    await rotation.rotate();
    rotation.advance(30 * 86_400);
    const next = rotation.store.addPendingPlaceholder(rotation.arn);
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await rotation.run(step, next);
    }

    const perSecret = emfLines(logs.lines()).filter((line) => !('Step' in line));
    expect(perSecret.map((line) => line.StepSucceeded)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(perSecret.filter((line) => line.RotationsCompleted === 1)).toHaveLength(2);
    // The first key, stored by hand without createdAt: its age from Factify's listing (the fixture's clock);
    // the second key was stored by createSecret 30 days earlier.
    expect(
      perSecret.flatMap((line) => ('ReplacedKeyAgeDays' in line ? [line.ReplacedKeyAgeDays] : [])),
    ).toEqual([0, 30]);
  });

  it('publishes a failed step', async () => {
    const rotation = startRotation();
    // Once the secret was described: before that, no metric names it (see invocation-surface.test.ts).
    rotation.store.failNext('getValue', new Error('ThrottlingException'));

    await expect(rotation.run('createSecret')).rejects.toThrow();

    expect(emfLines(logs.lines())).toEqual([
      expect.objectContaining({ SecretName: 'prod/factify', StepSucceeded: 0, StepFailed: 1 }),
      expect.objectContaining({ Step: 'createSecret', StepFailed: 1 }),
    ]);
  });
});

interface FleetReport {
  secrets: { secretId: string; verdict?: string; error?: { code: string } }[];
  secretsLeftOff: number;
  fleet: Record<string, number>;
  summary: Record<string, number>;
}

/**
 * `organizations` Factify organizations of `perOrganization` secrets each, every secret holding its own key
 * (self-rotation) with the organizationId that createSecret records, and a handler over them.
 */
function fleet(options: {
  organizations: number;
  perOrganization: number;
  remainingMs?: (store: FakeSecretStore) => number;
}) {
  const now = () => new Date('2026-11-27T00:00:00Z');
  const store = new FakeSecretStore();
  const factify = new FakeFactify(now);
  const secrets: { arn: string; orgId: string; key: { id: string; key: string } }[] = [];
  for (let org = 0; org < options.organizations; org += 1) {
    const orgId = factify.addOrganization();
    for (let app = 0; app < options.perOrganization; app += 1) {
      const key = factify.addKey(orgId, { name: `app-${app}` });
      const { arn } = store.addSecret(`fleet/${org}/${app}`, {
        apiKey: key.key,
        apiKeyId: key.id,
        organizationId: orgId,
      });
      secrets.push({ arn, orgId, key });
    }
  }
  vi.stubEnv('FACTIFY_SEAL_KEY_ID', SEAL_KEY_ID);
  const handler = createHandler(() => ({
    store,
    factify: () => factify,
    sealKey: () => new FakeSealKey(),
    scheduler: async () => new FakeScheduler(),
    sleep: async () => {},
    now,
  }));
  const invoke = async (event: unknown) =>
    (await handler(event, {
      awsRequestId: 'req-1',
      invokedFunctionArn: `${FUNCTION_ARN}:$LATEST`,
      getRemainingTimeInMillis: () => options.remainingMs?.(store) ?? 60_000,
    })) as unknown as FleetReport;
  return { store, factify, secrets, invoke };
}

const listings = (factify: FakeFactify) => factify.calls.filter((call) => call.method === 'listKeys').length;

describe('the audit of a fleet', () => {
  const logs = captureLogs();
  const fleetLine = () => emfLines(logs.lines()).find((line) => 'SecretsAudited' in line);

  it('audits every secret whose rotation function is this one when no SecretIds are given', async () => {
    const { store, factify, secrets, invoke } = fleet({ organizations: 4, perOrganization: 3 });

    const report = await invoke({ Action: 'audit' });

    expect(store.listedFor).toEqual([`${FUNCTION_ARN}:$LATEST`]);
    expect(report.secrets.map((secret) => secret.secretId).sort()).toEqual(
      secrets.map((secret) => secret.arn).sort(),
    );
    expect(report.summary).toEqual({ audited: 12, healthy: 12, withFindings: 0, notChecked: 0 });
    expect(report.secretsLeftOff).toBe(0);
    expect(report.fleet).toMatchObject({ SecretsAudited: 12, SecretsNotChecked: 0, SecretsOverdue: 0 });
    expectNoSecrets(logs.text() + JSON.stringify(report), factify.allSecrets());
  });

  it("lists each organization's keys once, not once per secret", async () => {
    const { factify, invoke } = fleet({ organizations: 3, perOrganization: 4 });

    await invoke({ Action: 'audit' });

    expect(listings(factify)).toBe(3);
  });

  it("does not take a listing for a secret's own when it does not hold the secret's key", async () => {
    const { store, factify, secrets, invoke } = fleet({ organizations: 2, perOrganization: 2 });
    // A value that claims the first organization while its key is of another one.
    const elsewhere = factify.addOrganization();
    const key = factify.addKey(elsewhere, { name: 'misfiled' });
    const { arn } = store.addSecret('fleet/misfiled', {
      apiKey: key.key,
      apiKeyId: key.id,
      organizationId: secrets[0]?.orgId,
    });

    const report = await invoke({ Action: 'audit' });

    expect(listings(factify)).toBe(3);
    // The audit returns counts, not the organization: one active key, its own, in the other organization.
    expect(report.secrets.find((secret) => secret.secretId === arn)).toMatchObject({
      verdict: 'healthy',
      activeKeys: 1,
    });
  });

  it("lists with the next secret's key when Factify rejects the first one's, and only that once", async () => {
    const { factify, secrets, invoke } = fleet({ organizations: 1, perOrganization: 3 });
    const [first, ...others] = secrets;
    // The first secret's key, the one that would list for the organization, revoked in the dashboard.
    const revoked = factify.key(String(first?.key.id));
    if (revoked) Object.assign(revoked, { isActive: false, revokedAt: '2026-11-26T00:00:00Z' });

    const report = await invoke({ Action: 'audit' });

    expect(listings(factify)).toBe(2);
    const verdictOf = (arn: string | undefined) =>
      report.secrets.find((secret) => secret.secretId === arn)?.verdict;
    expect(verdictOf(first?.arn)).toBe('current-key-not-active');
    expect(others.map((secret) => verdictOf(secret.arn))).toEqual(['healthy', 'healthy']);
  });

  it('publishes the fleet metrics with no dimension, counting each problem', async () => {
    const { store, factify, secrets, invoke } = fleet({ organizations: 3, perOrganization: 2 });
    const [first, second, third, , fifth] = secrets;
    // The current key revoked in the dashboard.
    const revoked = factify.key(String(first?.key.id));
    if (revoked) Object.assign(revoked, { isActive: false, revokedAt: '2026-11-26T00:00:00Z' });
    // A rotation left pending for longer than any step can run.
    store.addPendingPlaceholder(String(second?.arn));
    // Two keys a failed rotation of this secret made and never stored.
    for (let i = 0; i < 2; i += 1)
      factify.addKey(String(third?.orgId), { name: keyNameFor(String(third?.arn), `v-${i}`) });
    // Rotation turned off.
    store.addSecret(
      'fleet/disabled',
      { apiKey: factify.addKey(String(fifth?.orgId)).key },
      { rotationEnabled: false },
    );

    await invoke({ Action: 'audit' });

    const line = fleetLine();
    expect(line?._aws).toEqual({
      Timestamp: Date.parse('2026-11-27T00:00:00Z'),
      CloudWatchMetrics: [
        {
          Namespace: 'FactifyKeyRotation',
          Dimensions: [[]],
          Metrics: [
            'SecretsAudited',
            'SecretsOverdue',
            'SecretsStuck',
            'SecretsCurrentKeyNotActive',
            'SecretsReplacedKeyNotRevoked',
            'SecretsNearKeyLimit',
            'OrphanedKeys',
            'SecretsNotChecked',
          ].map((name) => ({ Name: name, Unit: 'Count' })),
        },
      ],
    });
    expect(line).toMatchObject({
      SecretsAudited: 7,
      SecretsOverdue: 1,
      SecretsStuck: 1,
      SecretsCurrentKeyNotActive: 1,
      SecretsReplacedKeyNotRevoked: 0,
      // The third secret's organization now has 4 active keys: both its secrets are near the limit.
      SecretsNearKeyLimit: 2,
      OrphanedKeys: 2,
      SecretsNotChecked: 0,
    });
    expect(Object.keys(line ?? {}).filter((key) => key !== '_aws')).toHaveLength(8);
  });

  it('with an admin key, lists its organization once for every secret', async () => {
    const { store, factify, secrets } = fleet({ organizations: 1, perOrganization: 3 });
    const admin = factify.addKey(String(secrets[0]?.orgId), { name: 'rotation-admin' });
    const { arn: adminArn } = store.addSecret('factify-admin', { apiKey: admin.key });
    vi.stubEnv('FACTIFY_ADMIN_SECRET_ID', adminArn);
    const handler = createHandler(() => ({
      store,
      factify: () => factify,
      sealKey: () => new FakeSealKey(),
      scheduler: async () => new FakeScheduler(),
      sleep: async () => {},
      now: () => new Date('2026-11-27T00:00:00Z'),
    }));

    const report = (await handler(
      { Action: 'audit', SecretIds: secrets.map((secret) => secret.arn) },
      { invokedFunctionArn: FUNCTION_ARN, getRemainingTimeInMillis: () => 60_000 },
    )) as unknown as FleetReport;

    expect(report.secrets.map((secret) => secret.verdict)).toEqual(['healthy', 'healthy', 'healthy']);
    expect(listings(factify)).toBe(1);
  });

  it('when time runs short, publishes what it checked and reports the rest as not checked', async () => {
    // Time runs short once four secrets have been started.
    const { factify, invoke } = fleet({
      organizations: 5,
      perOrganization: 4,
      remainingMs: (store) =>
        store.calls.filter((call) => call === 'describe').length >= 4 ? 10_000 : 60_000,
    });

    const report = await invoke({ Action: 'audit' });

    expect(report.summary).toMatchObject({ audited: 20, notChecked: 16 });
    const notChecked = report.secrets.filter((secret) => secret.error !== undefined);
    expect(new Set(notChecked.map((secret) => secret.error?.code))).toEqual(new Set(['NOT_CHECKED_IN_TIME']));
    expect(fleetLine()).toMatchObject({ SecretsAudited: 4, SecretsNotChecked: 16 });
    expect(listings(factify)).toBeLessThanOrEqual(4);
    expect(logs.lines().find((line) => line.message === 'Audit finished')).toMatchObject({
      outcome: 'incomplete',
      SecretsNotChecked: 16,
    });
  });

  it('refuses an audit of every secret when the invocation does not say which function it is', async () => {
    const { store } = fleet({ organizations: 1, perOrganization: 1 });
    const handler = createHandler(() => ({
      store,
      factify: () => new FakeFactify(() => new Date()),
      sealKey: () => new FakeSealKey(),
      scheduler: async () => new FakeScheduler(),
      sleep: async () => {},
      now: () => new Date(),
    }));

    await expect(handler({ Action: 'audit' }, {})).rejects.toThrow(
      /no function ARN.*name the secrets in SecretIds/,
    );
    expect(store.calls).toEqual([]);
  });
});

describe("the audit's answer, within Lambda's 6 MB", () => {
  const arn = (index: number) =>
    `arn:aws:secretsmanager:us-east-1:123456789012:secret:fleet/${'team-'.repeat(40)}${index}-AbCdEf`;
  const healthy = (index: number): AuditedSecret => ({
    secretId: arn(index),
    secretName: `fleet/${'team-'.repeat(40)}${index}`,
    verdict: 'healthy',
    findings: [],
    rotation: {
      enabled: true,
      lastRotatedDate: '2026-11-01T04:00:00.000Z',
      nextRotationDate: '2026-12-01T04:00:00.000Z',
      daysSinceRotation: 26,
      rotateBy: '2026-12-02T00:00:00.000Z',
    },
    pendingSince: null,
    activeKeys: 2,
    orphanedKeys: 0,
    replacedKeysNotRevoked: 0,
    scheduledRevocations: [],
  });
  const size = (entries: readonly AuditedSecret[]) => Buffer.byteLength(JSON.stringify(entries));

  it('names every secret, in the order audited, when they fit', () => {
    const entries = Array.from({ length: 1_000 }, (_, index) => healthy(index));

    expect(withinAnswer(entries)).toEqual({ reported: entries, leftOff: 0 });
  });

  it('keeps the most urgent first and leaves off the rest, counted, when a fleet would not fit', () => {
    const entries = Array.from({ length: 12_000 }, (_, index) => healthy(index));
    expect(size(entries)).toBeGreaterThan(6_000_000);
    entries[7_000] = {
      ...healthy(7_000),
      verdict: 'rotation-overdue',
      findings: [{ code: 'rotation-overdue' }],
    };
    entries[11_999] = { secretId: arn(11_999), error: { name: 'AccessDeniedException', code: 'AWS_ERROR' } };
    entries[9_000] = { ...healthy(9_000), verdict: 'stuck', findings: [{ code: 'rotation-stuck' }] };

    const { reported, leftOff } = withinAnswer(entries);

    expect(size(reported)).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
    expect(reported.length + leftOff).toBe(12_000);
    expect(leftOff).toBeGreaterThan(0);
    expect(reported.slice(0, 3).map((entry) => entry.secretId)).toEqual([
      arn(9_000),
      arn(7_000),
      arn(11_999),
    ]);
    expect(reported.slice(3).every((entry) => 'verdict' in entry && entry.verdict === 'healthy')).toBe(true);
  });
});
