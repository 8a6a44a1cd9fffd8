import { randomUUID } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  MAX_LISTED_SECRETS,
  MAX_LISTED_VERSIONS,
  MAX_SECRET_PAGES,
  MAX_VERSION_PAGES,
  SecretsManagerStore,
} from '../../lambda/adapters/secrets-manager-store.js';
import { ListingLimitError } from '../../lambda/telemetry/errors.js';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:factify-key-rotation';

/** A Secrets Manager whose listings never end: each page holds `perPage` items and a cursor never seen before. */
function endless(perPage: number): { client: SecretsManagerClient; pages: () => number } {
  let pages = 0;
  const send = async (command: { constructor: { name: string } }) => {
    pages += 1;
    const items = Array.from({ length: perPage }, () => randomUUID());
    return command.constructor.name === 'ListSecretsCommand'
      ? {
          SecretList: items.map((id) => ({
            ARN: `arn:aws:secretsmanager:us-east-1:1:secret:${id}`,
            RotationLambdaARN: LAMBDA,
          })),
          NextToken: randomUUID(),
        }
      : { Versions: items.map((id) => ({ VersionId: id, VersionStages: ['X'] })), NextToken: randomUUID() };
  };
  return { client: { send } as unknown as SecretsManagerClient, pages: () => pages };
}

describe('Secrets Manager listings that never end', () => {
  it('ListSecretVersionIds stops at the page limit with a typed error', async () => {
    const sm = endless(0);

    const error = await new SecretsManagerStore(sm.client)
      .listVersions('prod/factify')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ListingLimitError);
    expect(error).toMatchObject({ code: 'LISTING_LIMIT_REACHED' });
    expect((error as Error).message).toContain('ListSecretVersionIds');
    expect(sm.pages()).toBe(MAX_VERSION_PAGES);
  });

  it('ListSecretVersionIds stops at the version limit', async () => {
    const sm = endless(100);

    const error = await new SecretsManagerStore(sm.client)
      .listVersions('prod/factify')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ListingLimitError);
    expect((error as Error).message).toContain(`${MAX_LISTED_VERSIONS} items`);
    expect(sm.pages()).toBe(MAX_LISTED_VERSIONS / 100 + 1);
  });

  it('ListSecrets stops at the page limit with a typed error', async () => {
    const sm = endless(0);

    const error = await new SecretsManagerStore(sm.client)
      .listSecretsRotatedBy(LAMBDA)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ListingLimitError);
    expect((error as Error).message).toContain('ListSecrets');
    expect(sm.pages()).toBe(MAX_SECRET_PAGES);
  });

  it('ListSecrets stops at the secret limit', async () => {
    const sm = endless(100);

    const error = await new SecretsManagerStore(sm.client)
      .listSecretsRotatedBy(LAMBDA)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ListingLimitError);
    expect((error as Error).message).toContain(`${MAX_LISTED_SECRETS} items`);
    expect(sm.pages()).toBe(MAX_LISTED_SECRETS / 100 + 1);
  });
});
