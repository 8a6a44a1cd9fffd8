import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, expect, it } from 'vitest';
import { FactifyKeyRotation } from '../../infra/factify-key-rotation.js';
import { KeyRotationSchedule } from '../../infra/rotation-schedule.js';
import {
  ADMIN_SECRET_ARN,
  importSecret,
  KMS_KEY_ARN,
  newStack,
  OTHER_SECRET_ARN,
  removeTempDirs,
  SECRET_ARN,
} from './support.js';

afterAll(removeTempDirs);

it('passes AwsSolutions checks and the CloudFormation validator with every option on, acknowledging nothing', () => {
  // The one in-process synth with the built-in validator on.
  const stack = newStack({ validation: true });
  new FactifyKeyRotation(stack, 'Rotation', {
    secrets: [importSecret(stack, SECRET_ARN), importSecret(stack, OTHER_SECRET_ARN)],
    adminSecret: importSecret(stack, ADMIN_SECRET_ARN),
    encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KMS_KEY_ARN),
    rotationSchedule: KeyRotationSchedule.cron('cron(0 4 ? * SUN *)'),
    rotationWindow: Duration.hours(3),
    alertEmail: 'ops@example.com',
  });
  const app = App.of(stack) as App;
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

  // Synth throws on any unacknowledged error finding of either plugin.
  const assembly = app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
  expect(report.pluginReports).toEqual([]);
  // Warnings do not fail a synth: ask the pack directly for all of its findings.
  expect(new AwsSolutionsChecks().validateScope(app)).toEqual({ success: true, violations: [] });
  const acknowledged = app.node
    .findAll()
    .flatMap((construct) => construct.node.metadata)
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
  expect(acknowledged).toEqual([]);
});
