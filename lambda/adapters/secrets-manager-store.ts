import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RotateSecretCommand,
  type SecretListEntry,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type {
  InspectableSecretStore,
  SecretDescription,
  SecretDetails,
  SecretVersionInfo,
  VersionSelector,
} from '../ports.js';
import { parseArn, parseFunctionArn } from '../settings/arn.js';
import { ListingLimitError, RotationStateError } from '../telemetry/errors.js';
import { Sensitive } from '../telemetry/redaction.js';

/**
 * A Secrets Manager client whose region, endpoint and credentials come from the SDK's standard environment
 * (AWS_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER, the Lambda role or the operator's profile).
 */
export function createSecretsManagerClient(): SecretsManagerClient {
  return new SecretsManagerClient({
    // Without throwOnRequestTimeout the SDK only warns, and a hung call would run into the Lambda timeout.
    // The SDK's standard retries then cover a timed-out call; every call we make is idempotent.
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
  });
}

// Bounds on the listings, far above real ones, so that a listing whose pages never end stops with a typed
// error: a secret keeps about 100 versions (Secrets Manager deletes older deprecated ones), and an account
// holds at most 500,000 secrets; ListSecrets answers up to 100 a page, so a fleet of 100,000 takes 1,000.
export const MAX_LISTED_VERSIONS = 1_000;
export const MAX_VERSION_PAGES = 100;
export const MAX_LISTED_SECRETS = 100_000;
export const MAX_SECRET_PAGES = 2_000;
/** BatchGetSecretValue's limit on SecretIdList. */
const MAX_BATCH_SECRETS = 20;
const BATCHES_AT_ONCE = 4;

/** The secret store over the AWS SDK. */
export class SecretsManagerStore implements InspectableSecretStore {
  constructor(private readonly client: SecretsManagerClient = createSecretsManagerClient()) {}

  describe(secretId: string): Promise<SecretDescription> {
    return this.describeDetails(secretId);
  }

  async describeDetails(secretId: string): Promise<SecretDetails> {
    const out = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    const details = detailsOf({ ...out, SecretVersionsToStages: out.VersionIdsToStages });
    if (details === undefined) {
      throw new RotationStateError(`DescribeSecret returned no ARN or Name for secret ${secretId}.`);
    }
    return details;
  }

  async listVersions(secretId: string): Promise<SecretVersionInfo[]> {
    const versions: SecretVersionInfo[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      if (++pages > MAX_VERSION_PAGES || versions.length > MAX_LISTED_VERSIONS) {
        throw tooLong(`the versions of secret ${secretId} (ListSecretVersionIds)`, pages, versions.length, {
          pages: MAX_VERSION_PAGES,
          items: MAX_LISTED_VERSIONS,
        });
      }
      const out = await this.client.send(
        new ListSecretVersionIdsCommand({ SecretId: secretId, NextToken: nextToken }),
      );
      for (const version of out.Versions ?? []) {
        if (version.VersionId === undefined) continue;
        versions.push({
          versionId: version.VersionId,
          stages: version.VersionStages ?? [],
          ...(version.CreatedDate === undefined ? {} : { createdDate: version.CreatedDate }),
        });
      }
      nextToken = out.NextToken;
    } while (nextToken !== undefined);
    return versions;
  }

  async listSecretsRotatedBy(functionArn: string): Promise<SecretDetails[]> {
    const secrets: SecretDetails[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    let listed = 0;
    do {
      if (++pages > MAX_SECRET_PAGES || listed > MAX_LISTED_SECRETS) {
        throw tooLong("the account's secrets (ListSecrets)", pages, listed, {
          pages: MAX_SECRET_PAGES,
          items: MAX_LISTED_SECRETS,
        });
      }
      const out = await this.client.send(new ListSecretsCommand({ NextToken: nextToken }));
      listed += out.SecretList?.length ?? 0;
      for (const entry of out.SecretList ?? []) {
        const details = sameFunction(entry.RotationLambdaARN, functionArn) ? detailsOf(entry) : undefined;
        if (details) secrets.push(details);
      }
      nextToken = out.NextToken;
    } while (nextToken !== undefined);
    return secrets;
  }

  async currentValues(secretArns: readonly string[]): Promise<ReadonlyMap<string, Sensitive>> {
    const values = new Map<string, Sensitive>();
    const batches: string[][] = [];
    for (let start = 0; start < secretArns.length; start += MAX_BATCH_SECRETS) {
      batches.push(secretArns.slice(start, start + MAX_BATCH_SECRETS));
    }
    // A few calls at a time: far below BatchGetSecretValue's quota, and a fleet of 10,000 in 125 rounds.
    for (let start = 0; start < batches.length; start += BATCHES_AT_ONCE) {
      const outs = await Promise.all(
        batches
          .slice(start, start + BATCHES_AT_ONCE)
          .map((batch) => this.client.send(new BatchGetSecretValueCommand({ SecretIdList: batch }))),
      );
      for (const out of outs) {
        const failed = (out.Errors ?? []).find((error) => error.ErrorCode !== 'ResourceNotFoundException');
        if (failed) {
          // The error's code only: its message is the service's, and none of ours.
          throw new RotationStateError(
            `BatchGetSecretValue could not read secret ${failed.SecretId}: ${failed.ErrorCode}. Check that the ` +
              "function's role may read it (and decrypt it, with a customer-managed key).",
          );
        }
        for (const entry of out.SecretValues ?? []) {
          if (entry.ARN !== undefined && entry.SecretString !== undefined) {
            values.set(entry.ARN, new Sensitive(entry.SecretString));
          }
        }
      }
    }
    return values;
  }

  async getValue(secretId: string, version: VersionSelector): Promise<Sensitive | undefined> {
    try {
      const out = await this.client.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          VersionId: version.versionId,
          VersionStage: version.stage,
        }),
      );
      return out.SecretString === undefined ? undefined : new Sensitive(out.SecretString);
    } catch (error) {
      // The AWSPENDING placeholder exists without a value until createSecret fills it.
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  async putPendingValue(
    secretId: string,
    token: string,
    value: Sensitive,
    rotationToken?: Sensitive,
  ): Promise<'stored' | 'another-value'> {
    try {
      await this.client.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: token,
          SecretString: value.reveal(),
          VersionStages: ['AWSPENDING'],
          ...(rotationToken === undefined ? {} : { RotationToken: rotationToken.reveal() }),
        }),
      );
      return 'stored';
    } catch (error) {
      if (error instanceof ResourceExistsException) return 'another-value';
      throw error;
    }
  }

  async updateStage(
    secretId: string,
    stage: string,
    change: { moveToVersionId?: string; removeFromVersionId?: string },
  ): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: stage,
        MoveToVersionId: change.moveToVersionId,
        RemoveFromVersionId: change.removeFromVersionId,
      }),
    );
  }

  async startRotation(secretId: string, clientRequestToken?: string): Promise<string> {
    const out = await this.client.send(
      new RotateSecretCommand({ SecretId: secretId, ClientRequestToken: clientRequestToken }),
    );
    if (out.VersionId === undefined) {
      throw new RotationStateError(`RotateSecret returned no VersionId for secret ${secretId}.`);
    }
    return out.VersionId;
  }
}

function tooLong(
  listing: string,
  pages: number,
  items: number,
  max: { pages: number; items: number },
): ListingLimitError {
  return new ListingLimitError(
    listing,
    pages > max.pages ? `${max.pages} pages` : `${max.items} items (${items} read)`,
    'Check AWS_ENDPOINT_URL_SECRETS_MANAGER, if set, points at Secrets Manager.',
  );
}

/** A secret as DescribeSecret or a ListSecrets entry describes it; undefined without an ARN or a name. */
function detailsOf(out: SecretListEntry): SecretDetails | undefined {
  if (out.ARN === undefined || out.Name === undefined) return undefined;
  const rules = out.RotationRules;
  const days = rules?.AutomaticallyAfterDays;
  const schedule =
    rules?.ScheduleExpression ??
    (days === undefined ? undefined : `rate(${days} day${days === 1 ? '' : 's'})`);
  return {
    arn: out.ARN,
    name: out.Name,
    rotationEnabled: out.RotationEnabled === true,
    versions: out.SecretVersionsToStages ?? {},
    rotation: {
      ...(out.RotationLambdaARN === undefined ? {} : { lambdaArn: out.RotationLambdaARN }),
      ...(schedule === undefined ? {} : { schedule }),
      ...(rules?.Duration === undefined ? {} : { window: rules.Duration }),
      ...(out.LastRotatedDate === undefined ? {} : { lastRotatedDate: out.LastRotatedDate }),
      ...(out.NextRotationDate === undefined ? {} : { nextRotationDate: out.NextRotationDate }),
    },
  };
}

/**
 * Whether a secret's RotationLambdaARN names the function `wanted` (an ARN or a name). A function is compared
 * without its qualifier: `:$LATEST`, a version or an alias on either side still names the same function.
 */
function sameFunction(rotationLambdaArn: string | undefined, wanted: string): boolean {
  if (rotationLambdaArn === undefined) return false;
  const configured = parseFunctionArn(rotationLambdaArn);
  if (configured === undefined) return false;
  if (!parseArn(wanted)) return configured.functionName === wanted;
  const target = parseFunctionArn(wanted);
  return (
    target !== undefined &&
    target.functionName === configured.functionName &&
    target.account === configured.account &&
    target.region === configured.region &&
    target.partition === configured.partition
  );
}
