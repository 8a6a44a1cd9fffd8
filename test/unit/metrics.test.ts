import { describe, expect, it } from 'vitest';
import { secretNameOf } from '../../lambda/settings/arn.js';
import { METRIC_UNITS, SecretMetrics } from '../../lambda/telemetry/metrics.js';
import { captureLogs } from './fixture.js';

const AT = Date.parse('2026-11-27T06:00:00Z');

/** Checks a line against the embedded metric format specification and returns it parsed. */
function expectEmf(line: string): Record<string, unknown> {
  const document = JSON.parse(line) as Record<string, unknown> & {
    _aws: {
      Timestamp: number;
      CloudWatchMetrics: {
        Namespace: string;
        Dimensions: string[][];
        Metrics: { Name: string; Unit: string }[];
      }[];
    };
  };
  expect(Object.keys(document._aws).sort()).toEqual(['CloudWatchMetrics', 'Timestamp']);
  expect(Number.isInteger(document._aws.Timestamp)).toBe(true);
  for (const directive of document._aws.CloudWatchMetrics) {
    expect(Object.keys(directive).sort()).toEqual(['Dimensions', 'Metrics', 'Namespace']);
    expect(directive.Metrics.length).toBeLessThanOrEqual(100);
    for (const set of directive.Dimensions) {
      expect(set.length).toBeLessThanOrEqual(30);
      // Every dimension is a root member holding a string.
      for (const dimension of set) expect(typeof document[dimension]).toBe('string');
    }
    for (const metric of directive.Metrics) {
      // Every metric is a root member holding a number, with a CloudWatch unit.
      expect(typeof document[metric.Name]).toBe('number');
      expect(metric.Unit).toBe(METRIC_UNITS[metric.Name as keyof typeof METRIC_UNITS]);
    }
  }
  return document;
}

describe('SecretMetrics', () => {
  const logs = captureLogs();

  it('writes one EMF line per dimension set, the step metrics also per Step', () => {
    const metrics = new SecretMetrics('prod/factify').forStep('finishSecret');
    metrics.count('RotationsCompleted');
    metrics.count('FactifyRetries');
    metrics.count('FactifyRetries');
    metrics.stepOutcome(true, 812.4);

    metrics.flush(() => new Date(AT));

    const [perSecret, perStep, ...rest] = logs.text().trimEnd().split('\n');
    expect(rest).toEqual([]);
    expect(expectEmf(perSecret as string)).toEqual({
      _aws: {
        Timestamp: AT,
        CloudWatchMetrics: [
          {
            Namespace: 'FactifyKeyRotation',
            Dimensions: [['SecretName']],
            Metrics: [
              { Name: 'RotationsCompleted', Unit: 'Count' },
              { Name: 'FactifyRetries', Unit: 'Count' },
              { Name: 'StepSucceeded', Unit: 'Count' },
              { Name: 'StepFailed', Unit: 'Count' },
              { Name: 'StepDuration', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      SecretName: 'prod/factify',
      RotationsCompleted: 1,
      FactifyRetries: 2,
      StepSucceeded: 1,
      StepFailed: 0,
      StepDuration: 812,
    });
    expect(expectEmf(perStep as string)).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Dimensions: [['SecretName', 'Step']] }] },
      SecretName: 'prod/factify',
      Step: 'finishSecret',
      StepSucceeded: 1,
      StepFailed: 0,
      StepDuration: 812,
    });
  });

  it('uses the configured namespace, and writes nothing when nothing was recorded', () => {
    const metrics = new SecretMetrics('prod/factify', 'Payments/Rotation');
    metrics.flush();
    expect(logs.text()).toBe('');

    metrics.set('ActiveKeys', 4);
    metrics.set('DaysSinceRotation', Number.NaN);
    metrics.flush(() => new Date(AT));

    expect(expectEmf(logs.text().trimEnd())).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'Payments/Rotation', Metrics: [{ Name: 'ActiveKeys' }] }] },
      ActiveKeys: 4,
    });
  });

  it('keeps a dimension value printable ASCII', () => {
    const metrics = new SecretMetrics('prod/clé\n');
    metrics.set('ActiveKeys', 1);
    metrics.flush();
    expect(expectEmf(logs.text().trimEnd()).SecretName).toBe('prod/cl??');
  });

  it('never writes a key pasted as the SecretId: metric lines are redacted like log lines', () => {
    const key = `ffy_live_${'a1B2'.repeat(12)}`;
    const metrics = new SecretMetrics(key);
    metrics.set('ActiveKeys', 1);
    metrics.flush();
    expect(logs.text().includes(key)).toBe(false);
    expect(expectEmf(logs.text().trimEnd()).SecretName).toBe('[redacted]');
  });
});

describe('secretNameOf', () => {
  it.each([
    ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/factify-AbCdEf', 'prod/factify'],
    ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-b-c-XyZ123', 'a-b-c'],
    ['prod/factify', 'prod/factify'],
  ])('names %s %s', (id, name) => {
    expect(secretNameOf(id)).toBe(name);
  });
});
