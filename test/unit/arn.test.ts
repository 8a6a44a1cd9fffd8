import { describe, expect, it } from 'vitest';
import {
  isRoleArn,
  parseArn,
  parseFunctionArn,
  parseKmsKeyArn,
  parseSecretArn,
  secretNameOf,
} from '../../lambda/settings/arn.js';

// The one ARN parser of the function, the stack and the CLI.
describe('ARNs', () => {
  it('splits an ARN into its parts, keeping the colons of its resource', () => {
    expect(parseArn('arn:aws:lambda:eu-west-1:123456789012:function:rotate:live')).toEqual({
      partition: 'aws',
      service: 'lambda',
      region: 'eu-west-1',
      account: '123456789012',
      resource: 'function:rotate:live',
    });
    expect(parseArn('arn:aws:iam::123456789012:role/x')).toMatchObject({ region: '', resource: 'role/x' });
    for (const value of [
      'prod/factify',
      'arn:aws:secretsmanager:eu-west-1:123456789012',
      'urn:a:b:c:d:e',
      '',
    ]) {
      expect(parseArn(value)).toBeUndefined();
    }
  });

  it.each<[string, string | undefined]>([
    ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/factify-AbCdEf', 'prod/factify'],
    ['arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:a-b-c-XyZ123', 'a-b-c'],
    ['arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:factify-AbCdEf', 'factify'],
    // A partial ARN (no random suffix), another account length, another service, a name.
    ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/factify', undefined],
    ['arn:aws:secretsmanager:eu-west-1:12345:secret:prod/factify-AbCdEf', undefined],
    ['arn:aws:secretsmanager:eu_west_1:123456789012:secret:prod/factify-AbCdEf', undefined],
    ['arn:aws:ssm:eu-west-1:123456789012:secret:prod/factify-AbCdEf', undefined],
    ['prod/factify', undefined],
  ])('reads the complete secret ARN %s as the secret %s', (value, name) => {
    expect(parseSecretArn(value)?.name).toBe(name);
    expect(secretNameOf(value)).toBe(name ?? value);
  });

  it('keeps the random suffix with the name where an id must be unique', () => {
    expect(
      parseSecretArn('arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/factify-AbCdEf'),
    ).toMatchObject({ nameWithSuffix: 'prod/factify-AbCdEf', region: 'eu-west-1', account: '123456789012' });
  });

  it('reads KMS key ARNs, not alias ARNs', () => {
    expect(
      parseKmsKeyArn('arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    ).toMatchObject({ region: 'eu-west-1', account: '123456789012' });
    expect(parseKmsKeyArn('arn:aws:kms:eu-west-1:123456789012:alias/factify')).toBeUndefined();
  });

  it.each<[string, string | undefined]>([
    ['arn:aws:lambda:eu-west-1:123456789012:function:factify-key-rotation', 'factify-key-rotation'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:factify-key-rotation:live', 'factify-key-rotation'],
    ['arn:aws:lambda:eu-west-1:123456789012:layer:factify', undefined],
    ['factify-key-rotation', undefined],
  ])('reads the function ARN %s as the function %s', (value, functionName) => {
    expect(parseFunctionArn(value)?.functionName).toBe(functionName);
  });

  it.each<[string, boolean]>([
    ['arn:aws:iam::123456789012:role/factify-revoke-scheduler', true],
    ['arn:aws:iam::123456789012:role/service-role/a+b=c,d.e@f-g', true],
    ['arn:aws:iam::123456789012:user/night-operator', false],
    ['arn:aws:iam:eu-west-1:123456789012:role/x', false],
    ['arn:aws:iam::12345:role/x', false],
    ['factify-revoke-scheduler', false],
  ])('%s is a role ARN: %s', (value, expected) => {
    expect(isRoleArn(value)).toBe(expected);
  });
});
