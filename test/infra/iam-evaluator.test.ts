import { describe, expect, it } from 'vitest';
import { evaluate, type Statement } from './iam-evaluator.js';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/key-AbCdEf';
const allow = (statement: Partial<Statement>): Statement => ({
  Effect: 'Allow',
  Action: 'secretsmanager:GetSecretValue',
  Resource: SECRET,
  ...statement,
});

describe('the IAM policy evaluator of the stack tests', () => {
  it('denies implicitly what no statement allows, and lets an explicit Deny win over any Allow', () => {
    const request = { action: 'secretsmanager:GetSecretValue', resource: SECRET };
    expect(evaluate([], request)).toBe('implicitly denied');
    expect(evaluate([allow({})], request)).toBe('allowed');
    expect(evaluate([allow({}), allow({ Effect: 'Deny', Resource: '*' })], request)).toBe(
      'explicitly denied',
    );
  });

  it('matches actions case-insensitively with wildcards, resources case-sensitively, and NotAction', () => {
    const request = (action: string, resource = SECRET) =>
      evaluate([allow({ Action: 'SecretsManager:Get*' })], { action, resource });
    expect(request('secretsmanager:GetSecretValue')).toBe('allowed');
    expect(request('secretsmanager:PutSecretValue')).toBe('implicitly denied');
    expect(request('secretsmanager:GetSecretValue', SECRET.toUpperCase())).toBe('implicitly denied');
    expect(
      evaluate([allow({ Action: undefined, NotAction: 'secretsmanager:Delete*' })], {
        action: 'secretsmanager:DeleteSecret',
        resource: SECRET,
      }),
    ).toBe('implicitly denied');
  });

  it('needs every key of every operator to match, any of a key’s values, and the key present unless IfExists', () => {
    const statement = allow({
      Condition: {
        ArnEquals: {
          'secretsmanager:resource/AllowRotationLambdaArn': [
            'arn:aws:lambda:eu-west-1:1:function:a',
            'arn:aws:lambda:eu-west-1:1:function:b',
          ],
        },
        ArnEqualsIfExists: { 'secretsmanager:RotationLambdaARN': 'arn:aws:lambda:eu-west-1:1:function:a' },
      },
    });
    const request = (context: Record<string, string>) =>
      evaluate([statement], { action: 'secretsmanager:GetSecretValue', resource: SECRET, context });
    expect(
      request({ 'secretsmanager:resource/AllowRotationLambdaArn': 'arn:aws:lambda:eu-west-1:1:function:b' }),
    ).toBe('allowed');
    expect(request({})).toBe('implicitly denied');
    expect(
      request({
        'secretsmanager:resource/AllowRotationLambdaArn': 'arn:aws:lambda:eu-west-1:1:function:a',
        'secretsmanager:RotationLambdaARN': 'arn:aws:lambda:eu-west-1:1:function:c',
      }),
    ).toBe('implicitly denied');
  });

  it('lets a negated operator pass on a missing key, and compares ARNs part by part', () => {
    const notEquals = allow({ Condition: { StringNotEquals: { 'aws:PrincipalTag/team': 'billing' } } });
    expect(evaluate([notEquals], { action: 'secretsmanager:GetSecretValue', resource: SECRET })).toBe(
      'allowed',
    );
    const arnLike = allow({
      Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:scheduler:*:123456789012:schedule-group/*' } },
    });
    const from = (source: string) =>
      evaluate([arnLike], {
        action: 'secretsmanager:GetSecretValue',
        resource: SECRET,
        context: { 'aws:SourceArn': source },
      });
    expect(from('arn:aws:scheduler:eu-west-1:123456789012:schedule-group/mine')).toBe('allowed');
    // The wildcard of the region part does not reach into the account part.
    expect(from('arn:aws:scheduler:eu-west-1:210987654321:schedule-group/mine')).toBe('implicitly denied');
  });
});
