import { type Input, optionalInteger, optionalStructure } from '../aws/input.js';
import { invalid } from './errors.js';
import { optionalString, requiredString } from './input.js';
import type { FlexibleTimeWindowRecord, TargetRecord } from './store.js';

// The structured members of CreateSchedule, read and checked against the API reference.

const ROLE_ARN_PATTERN = String.raw`arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@\/-]+`;
/** "By default, EventBridge Scheduler retries for 24 hours, up to 185 times" (user guide, retry policy). */
const DEFAULT_RETRY_POLICY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 };
/** Target members for other target types, which the emulator refuses rather than half-model. */
const UNSUPPORTED_TARGET_MEMBERS = [
  'EcsParameters',
  'EventBridgeParameters',
  'EventBridgePutEventsV2Parameters',
  'EventBridgePutRawEventsParameters',
  'KinesisParameters',
  'SageMakerPipelineParameters',
  'SqsParameters',
];
/**
 * Target.Input: "If you are configuring a templated Lambda, AWS Step Functions, or Amazon EventBridge
 * target, the input must be a well-formed JSON." The emulator checks it at CreateSchedule.
 */
const JSON_INPUT_TARGET = /^arn:aws(-[a-z]+)?:(lambda|states|events):/;

export function readFlexibleTimeWindow(window: Input): FlexibleTimeWindowRecord {
  const path = 'FlexibleTimeWindow';
  const mode = requiredString(window, 'Mode', `${path}.Mode`, { values: ['OFF', 'FLEXIBLE'] });
  const maximum = optionalInteger(
    window,
    'MaximumWindowInMinutes',
    1,
    1440,
    `${path}.MaximumWindowInMinutes`,
  );
  // "If you do set the value to FLEXIBLE, you must then specify a maximum window of time."
  if (mode === 'FLEXIBLE' && maximum === undefined) {
    throw invalid('MaximumWindowInMinutes must be specified when the FlexibleTimeWindow Mode is FLEXIBLE.');
  }
  return {
    Mode: mode as FlexibleTimeWindowRecord['Mode'],
    ...(maximum !== undefined && { MaximumWindowInMinutes: maximum }),
  };
}

export function readTarget(target: Input): TargetRecord {
  const unsupported = UNSUPPORTED_TARGET_MEMBERS.find(
    (key) => target[key] !== undefined && target[key] !== null,
  );
  if (unsupported) {
    throw invalid(`This emulator does not support Target.${unsupported}.`);
  }
  const arn = requiredString(target, 'Arn', 'Target.Arn', { min: 1, max: 1600 });
  const roleArn = requiredString(target, 'RoleArn', 'Target.RoleArn', {
    min: 1,
    max: 1600,
    pattern: ROLE_ARN_PATTERN,
  });
  const input = optionalString(target, 'Input', 'Target.Input', { min: 1 });
  if (input !== undefined && JSON_INPUT_TARGET.test(arn) && !isJson(input)) {
    throw invalid(
      'Target.Input must be well-formed JSON for a Lambda, Step Functions or EventBridge target.',
    );
  }
  const retry = optionalStructure(target, 'RetryPolicy', 'Target.RetryPolicy') ?? {};
  const deadLetter = optionalStructure(target, 'DeadLetterConfig', 'Target.DeadLetterConfig');
  const deadLetterArn =
    deadLetter && optionalString(deadLetter, 'Arn', 'Target.DeadLetterConfig.Arn', { min: 1, max: 1600 });
  return {
    Arn: arn,
    RoleArn: roleArn,
    ...(input !== undefined && { Input: input }),
    RetryPolicy: {
      MaximumEventAgeInSeconds:
        optionalInteger(
          retry,
          'MaximumEventAgeInSeconds',
          60,
          86_400,
          'Target.RetryPolicy.MaximumEventAgeInSeconds',
        ) ?? DEFAULT_RETRY_POLICY.MaximumEventAgeInSeconds,
      MaximumRetryAttempts:
        optionalInteger(retry, 'MaximumRetryAttempts', 0, 185, 'Target.RetryPolicy.MaximumRetryAttempts') ??
        DEFAULT_RETRY_POLICY.MaximumRetryAttempts,
    },
    ...(deadLetterArn && { DeadLetterConfig: { Arn: deadLetterArn } }),
  };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
