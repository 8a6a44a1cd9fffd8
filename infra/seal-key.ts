import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * The KMS HMAC key that seals every value the rotation function writes (lambda/keys/seal.ts): one per
 * platform, whatever the number of secrets. Only the function's role may GenerateMac with it, so no writer of
 * a secret can forge a seal. The key policy names the role itself rather than delegating to IAM: a principal
 * of the account whose IAM policy allows kms:* (PowerUserAccess does) gets no GenerateMac. The account keeps
 * administering the key, and may VerifyMac (the operator's CLI reads seals, which cannot forge one).
 */
export function createSealKey(scope: Construct, id: string, functionRole: iam.IRole): kms.Key {
  const account = new iam.AccountRootPrincipal();
  const key = new kms.Key(scope, id, {
    description:
      'Seals the values the Factify key rotation function writes (HMAC; GenerateMac by its role only)',
    keySpec: kms.KeySpec.HMAC_256,
    keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
    // Without the key no seal verifies: every secret would fall back to identification by possession and
    // prefix, and no replaced key would be revoked until it rotates again. Kept when the stack goes.
    removalPolicy: RemovalPolicy.RETAIN,
    policy: new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'AdministerTheKey',
          principals: [account],
          // Neither kms:CreateGrant nor kms:GenerateMac: either would let the account's IAM hand out the seal.
          actions: [
            'kms:DescribeKey',
            'kms:EnableKey',
            'kms:DisableKey',
            'kms:GetKeyPolicy',
            'kms:PutKeyPolicy',
            'kms:ListGrants',
            'kms:ListKeyPolicies',
            'kms:ListResourceTags',
            'kms:RevokeGrant',
            'kms:TagResource',
            'kms:UntagResource',
            'kms:UpdateKeyDescription',
            'kms:ScheduleKeyDeletion',
            'kms:CancelKeyDeletion',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'VerifySealsWithIamPermission',
          principals: [account],
          actions: ['kms:VerifyMac'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'SealForTheRotationFunction',
          principals: [new iam.ArnPrincipal(functionRole.roleArn)],
          actions: ['kms:GenerateMac', 'kms:VerifyMac'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } },
        }),
      ],
    }),
  });
  Validations.of(key).acknowledge({
    id: 'AwsSolutions-KMS5',
    reason: 'KMS does not rotate HMAC keys automatically (only symmetric encryption keys).',
  });
  return key;
}

/**
 * Before revoking a key it did not create (a hand-written first value), the function checks that no other
 * secret it rotates holds that key in AWSCURRENT or AWSPENDING: a person may have put one hand-made key into
 * two secrets. ListSecrets finds them and BatchGetSecretValue reads their current values 20 at a time; neither
 * has a resource-level permission, so they sit in a policy of their own that this acknowledgement alone
 * covers. Values stay limited to the construct's secrets: BatchGetSecretValue returns only the secrets the
 * role may GetSecretValue.
 */
export function listOtherSecrets(scope: Construct, role: iam.IRole): iam.Policy {
  const policy = new iam.Policy(scope, 'ListSecretsPolicy', {
    roles: [role],
    statements: [
      new iam.PolicyStatement({
        sid: 'FindTheOtherSecretsItRotates',
        actions: ['secretsmanager:ListSecrets', 'secretsmanager:BatchGetSecretValue'],
        resources: ['*'],
      }),
    ],
  });
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'secretsmanager:ListSecrets and BatchGetSecretValue support no resource-level permission. ListSecrets ' +
      'returns names and metadata, never values; BatchGetSecretValue returns the values of only the secrets the ' +
      'role may GetSecretValue (those it rotates). The function reads them to check that a key written into one ' +
      "by hand is not another's before revoking it.",
  });
  return policy;
}
