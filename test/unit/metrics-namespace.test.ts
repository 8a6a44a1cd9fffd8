import { describe, expect, it } from 'vitest';
import { isMetricsNamespace, loadConfig } from '../../lambda/settings/config.js';

// CloudWatch's "Namespaces" concept: letters, digits, spaces and . - _ / # :, at least one not a space.
describe('the metrics namespace', () => {
  it.each(['FactifyKeyRotation', 'Team Rotation/Keys_v1.2#blue:green-a', 'a'.repeat(255)])(
    'accepts %j',
    (value) => {
      expect(isMetricsNamespace(value)).toBe(true);
      expect(loadConfig({ METRICS_NAMESPACE: value }).metricsNamespace).toBe(value);
    },
  );

  it.each([
    'Team$Rotation',
    'Keys (prod)',
    'Rotation!',
    'é',
    '   ',
    ':Rotation',
    'AWS/Rotation',
    'a'.repeat(256),
  ])('refuses %j, in which CloudWatch Logs would drop every metric', (value) => {
    expect(isMetricsNamespace(value)).toBe(false);
  });

  it('stops the function before any call, saying which characters CloudWatch takes', () => {
    expect(() => loadConfig({ METRICS_NAMESPACE: 'Team$Rotation' })).toThrow(
      /^METRICS_NAMESPACE must be a CloudWatch namespace \(1 to 255 letters, digits, spaces and \. - _ \/ # :.*got "Team\$Rotation"/,
    );
  });
});
