import { describe, expect, it } from 'vitest';
import { revocationScheduleName, revocationScheduleNames } from '../../lambda/keys/revocation-schedule.js';
import { RotationStateError } from '../../lambda/telemetry/errors.js';
import { captureLogs, startRotation } from './fixture.js';

const metricLines = (lines: Record<string, unknown>[]) => lines.filter((line) => '_aws' in line);

/**
 * Whoever may invoke the function can send it any event: it publishes metrics only for a secret it found,
 * and a revocation only once its schedule has come due.
 */
describe('the invocation surface', () => {
  const logs = captureLogs();

  describe('step metrics', () => {
    it.each([
      [
        'a rotation step',
        (arn: string) => ({ Step: 'createSecret', SecretId: arn, ClientRequestToken: 'a'.repeat(36) }),
      ],
      ['a console rotation', (arn: string) => ({ SecretId: arn })],
      [
        'a scheduled revocation',
        (arn: string) => ({
          Action: 'revokeReplacedKey',
          SecretId: arn,
          VersionId: 'b'.repeat(36),
          ApiKeyId: 'key_01h2xcejqtf2nbrexx3vqjhp41',
        }),
      ],
    ])('are not published for %s of a secret that does not exist', async (_case, event) => {
      const rotation = startRotation({ graceSeconds: 3600 });
      // Any name an invoker likes: the alarms of a real secret must not be tripped by it.
      const name = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:payments/prod-AbCdEf';

      await expect(rotation.invoke(event(name))).rejects.toThrow();

      expect(metricLines(logs.lines())).toEqual([]);
    });

    it('are published under the described name when the event names the secret by ARN', async () => {
      const rotation = startRotation();

      await rotation.run('createSecret');

      const lines = metricLines(logs.lines());
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line.SecretName).toBe('prod/factify');
    });

    it('are published under the described name for a console rotation by ARN', async () => {
      const rotation = startRotation();
      // The fixture staged a rotation: take AWSPENDING off it, so that Secrets Manager may start another.
      rotation.store.setVersion(rotation.arn, rotation.token, []);

      await rotation.invoke({ SecretId: rotation.arn });

      const lines = metricLines(logs.lines());
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line.SecretName).toBe('prod/factify');
    });
  });

  describe('a scheduled revocation sent before its time', () => {
    async function rotatedWithGrace() {
      const rotation = startRotation({ graceSeconds: 3600 });
      await rotation.rotate();
      const [schedule] = [...rotation.scheduler.schedules.values()];
      if (schedule === undefined) throw new Error('no revocation was scheduled');
      return { rotation, schedule, event: schedule.input as Record<string, string> };
    }

    it('is refused while its schedule exists with its time in the future: the key stays active', async () => {
      const { rotation, event } = await rotatedWithGrace();
      rotation.advance(3599);

      const failure = rotation.invoke(event);

      await expect(failure).rejects.toBeInstanceOf(RotationStateError);
      await expect(failure).rejects.toThrow(/its schedule runs at .* not before/);
      expect(rotation.factify.revokeCalls(rotation.currentKey.id)).toBe(0);
      expect(rotation.factify.key(rotation.currentKey.id)?.isActive).toBe(true);
      expect(rotation.scheduler.schedules.size).toBe(1);
    });

    it('runs when the schedule comes due, and deletes the schedule', async () => {
      const { rotation, event } = await rotatedWithGrace();
      rotation.advance(3600);

      await rotation.invoke(event);

      expect(rotation.factify.revokeCalls(rotation.currentKey.id)).toBe(1);
      expect(rotation.scheduler.schedules.size).toBe(0);
    });

    it('is refused while a schedule made under the name of an earlier release is still to come', async () => {
      const { rotation, schedule, event } = await rotatedWithGrace();
      // A grace-period revocation pending at the upgrade: its schedule has the literal version id in its name.
      rotation.scheduler.schedules.clear();
      const legacy = `fkr-revoke-${schedule.name.split('-')[2]}-${event.VersionId}`;
      rotation.scheduler.schedules.set(legacy, { ...schedule, name: legacy });
      rotation.advance(60);

      await expect(rotation.invoke(event)).rejects.toThrow(/not before/);
      expect(rotation.factify.revokeCalls(rotation.currentKey.id)).toBe(0);

      rotation.advance(3600);
      await rotation.invoke(event);
      expect(rotation.factify.revokeCalls(rotation.currentKey.id)).toBe(1);
      expect(rotation.scheduler.schedules.has(legacy)).toBe(false);
    });
  });
});

describe('revocation schedule names', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/factify-AbCdEf';

  it('are always a digest: a literal version id and the digest of another never share a name', () => {
    const id = 'c0ffee00-1234-4abc-8def-0123456789ab';
    const name = revocationScheduleName(ARN, id);
    const digestLike = name.slice(name.lastIndexOf('-') + 1);

    expect(name).not.toContain(id);
    expect(revocationScheduleName(ARN, digestLike)).not.toBe(name);
  });

  it("are within EventBridge Scheduler's 64 characters and its name pattern, for any version id", () => {
    for (const id of ['a'.repeat(64), `x' ;touch pwned;: '${'a'.repeat(20)}`, '__proto__'.padEnd(32, '_')]) {
      expect(revocationScheduleName(ARN, id)).toMatch(/^fkr-revoke-[0-9a-f]{10}-[0-9a-f]{32,}$/);
      expect(revocationScheduleName(ARN, id).length).toBeLessThanOrEqual(64);
    }
  });

  it('are also looked for under the literal name earlier releases gave a short id of their shape', () => {
    const tag = revocationScheduleName(ARN, 'x'.repeat(32)).split('-')[2];
    const names = (id: string) => revocationScheduleNames(ARN, id);
    const uuid = 'c0ffee00-1234-4abc-8def-0123456789ab';
    expect(names(uuid)).toEqual([revocationScheduleName(ARN, uuid), `fkr-revoke-${tag}-${uuid}`]);
    // The longest id whose literal name fits EventBridge Scheduler's 64 characters, and one more.
    expect(names('a'.repeat(42))).toHaveLength(2);
    expect(names('a'.repeat(43))).toEqual([revocationScheduleName(ARN, 'a'.repeat(43))]);
    // Earlier releases digested an id with any other character, first or last.
    expect(names(`'${'a'.repeat(35)}`)).toHaveLength(1);
    expect(names(`${'a'.repeat(35)}'`)).toHaveLength(1);
    // A digest-shaped id has no earlier literal name: it would be another version's name today.
    const digest = 'ab'.repeat(16);
    expect(names(digest)).toEqual([revocationScheduleName(ARN, digest)]);
    expect(names(`x${digest}`)).toHaveLength(2);
    expect(names(`${digest}x`)).toHaveLength(2);
    expect(names('A'.repeat(32))).toHaveLength(2);
  });

  it('differ by secret and by version', () => {
    const other = ARN.replace('AbCdEf', 'ZyXwVu');
    const id = 'd'.repeat(36);
    expect(revocationScheduleName(ARN, id)).not.toBe(revocationScheduleName(other, id));
    expect(revocationScheduleName(ARN, id)).not.toBe(revocationScheduleName(ARN, 'e'.repeat(36)));
  });
});
