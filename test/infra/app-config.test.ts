import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STACK_NAME, readAppConfig } from '../../infra/app-config.js';
import { FactifyKeyRotationConfigError } from '../../infra/factify-key-rotation.js';
import { ACCOUNT, ADMIN_SECRET_ARN, KMS_KEY_ARN, OTHER_SECRET_ARN, REGION, SECRET_ARN } from './support.js';

const read = (context: Record<string, unknown>) => readAppConfig((key) => context[key]);

function problemsOf(context: Record<string, unknown>): readonly string[] {
  try {
    read(context);
  } catch (error) {
    if (error instanceof FactifyKeyRotationConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a FactifyKeyRotationConfigError');
}

describe('readAppConfig', () => {
  it('shows how to pass secretArns when it is missing', () => {
    for (const context of [{}, { secretArns: '' }, { secretArns: ' , ' }]) {
      expect(problemsOf(context)).toEqual([
        expect.stringContaining('secretArns is missing: pass the complete ARNs of the secrets to rotate'),
      ]);
    }
    expect(problemsOf({})[0]).toContain(`npx cdk deploy -c secretArns=arn:aws:secretsmanager:`);
  });

  it('reads a comma-separated list from -c and a JSON list from cdk.json, deploying where the secrets are', () => {
    for (const secretArns of [` ${SECRET_ARN} ,${OTHER_SECRET_ARN},`, [SECRET_ARN, OTHER_SECRET_ARN]]) {
      const config = read({ secretArns });
      expect(config.secretArns).toEqual([SECRET_ARN, OTHER_SECRET_ARN]);
      expect(config.env).toEqual({ account: ACCOUNT, region: REGION });
      expect(config.stackName).toBe(DEFAULT_STACK_NAME);
    }
  });

  it('reads every option', () => {
    const config = read({
      secretArns: SECRET_ARN,
      stackName: 'FactifyKeyRotationProd',
      adminSecretArn: ADMIN_SECRET_ARN,
      kmsKeyArn: KMS_KEY_ARN,
      rotationSchedule: 'cron(0 4 ? * SUN *)',
      rotationWindow: '3h',
      rotateImmediatelyOnUpdate: 'true',
      revokeGraceSeconds: '3600',
      factifyApiUrl: 'https://eu.api.factify.com/v1',
      alertEmail: 'ops@example.com',
      logRetentionDays: '90',
    });
    expect(config).toMatchObject({
      stackName: 'FactifyKeyRotationProd',
      adminSecretArn: ADMIN_SECRET_ARN,
      kmsKeyArn: KMS_KEY_ARN,
      rotateImmediatelyOnUpdate: true,
      factifyApiUrl: 'https://eu.api.factify.com/v1',
      alertEmail: 'ops@example.com',
      logRetention: RetentionDays.THREE_MONTHS,
    });
    expect(config.rotationSchedule?.expressionString).toBe('cron(0 4 ? * SUN *)');
    expect(config.rotationWindow?.toHours()).toBe(Duration.hours(3).toHours());
    expect(config.revokeGracePeriod?.toSeconds()).toBe(3600);
    // cdk.json may give numbers; 0 and the maximum (365 days) are valid.
    for (const seconds of [0, 31536000]) {
      expect(
        read({ secretArns: SECRET_ARN, revokeGraceSeconds: seconds }).revokeGracePeriod?.toSeconds(),
      ).toBe(seconds);
    }
    expect(read({ secretArns: SECRET_ARN, rotateImmediatelyOnUpdate: false }).rotateImmediatelyOnUpdate).toBe(
      false,
    );
  });

  it('leaves unset or blank options to the construct defaults', () => {
    const config = read({ secretArns: SECRET_ARN, adminSecretArn: ' ', kmsKeyArn: '' });
    for (const key of [
      'adminSecretArn',
      'kmsKeyArn',
      'rotationSchedule',
      'rotationWindow',
      'rotateImmediatelyOnUpdate',
      'revokeGracePeriod',
    ] as const) {
      expect(config[key]).toBeUndefined();
    }
  });

  it('rejects a revocation grace that is not whole seconds from 0 to 365 days', () => {
    for (const revokeGraceSeconds of ['-1', '1.5', '31536001', 'P1D']) {
      expect(problemsOf({ secretArns: SECRET_ARN, revokeGraceSeconds })).toEqual([
        expect.stringMatching(/^revokeGraceSeconds: give a whole number of seconds from 0/),
      ]);
    }
  });

  it('reports every malformed value at once', () => {
    expect(
      problemsOf({
        secretArns: `${SECRET_ARN},arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:nosuffix,${SECRET_ARN}`,
        adminSecretArn: 'factify/admin',
        kmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/factify`,
        rotationWindow: '3 hours',
        rotateImmediatelyOnUpdate: 'yes',
        revokeGraceSeconds: '1h',
        logRetentionDays: '100',
      }),
    ).toEqual([
      expect.stringMatching(/^secretArns\[1\] ".*:secret:nosuffix" is not a complete secret ARN/),
      `secretArns: ${SECRET_ARN} is listed more than once.`,
      expect.stringMatching(/^adminSecretArn "factify\/admin" is not a complete secret ARN/),
      expect.stringMatching(/^kmsKeyArn ".*alias\/factify" is not a KMS key ARN.*not an alias/),
      'rotationWindow: "3 hours" is not a number of hours like 3h.',
      'rotateImmediatelyOnUpdate: give true or false, got "yes".',
      'revokeGraceSeconds: give a whole number of seconds from 0 (revoke at once) to 31536000 (365 days), got "1h".',
      expect.stringMatching(/^logRetentionDays: CloudWatch Logs accepts 1, 3, 5, .*got "100"/),
    ]);
  });
});
