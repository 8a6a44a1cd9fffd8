import { type Input, optionalInteger, optionalStructure } from '../aws/input.js';
import type { JsonOperationHandler } from '../aws/json-protocol.js';
import { ServiceError } from '../aws/service-error.js';
import {
  accessDenied,
  invalidParameter,
  invalidRequest,
  resourceExists,
  secretValueNotFound,
} from './errors.js';
import {
  clientRequestToken,
  optionalBoolean,
  optionalString,
  optionalStringList,
  requiredString,
  secretString,
} from './input.js';
import type { RotationEngine } from './rotation.js';
import { nextRotationDate, parseRotationRules } from './schedule.js';
import {
  AWSCURRENT,
  AWSPENDING,
  addVersion,
  attachStage,
  pendingRotationVersion,
  type SecretRecord,
  type SecretStore,
  type SecretVersion,
  type Tag,
  versionWithStage,
} from './store.js';

/** awsJson1_1 sends timestamps as epoch seconds. Undefined members are left out of the JSON. */
function epochSeconds(date: Date | undefined): number | undefined {
  return date && date.getTime() / 1000;
}

/** The operations a rotation uses, keyed by the name in `X-Amz-Target: secretsmanager.<Name>`. */
export function secretsManagerOperations(
  store: SecretStore,
  rotation: RotationEngine,
): ReadonlyMap<string, JsonOperationHandler> {
  const find = (input: Input) => store.find(requiredString(input, 'SecretId'));
  return new Map<string, JsonOperationHandler>([
    ['CreateSecret', (input) => createSecret(store, input)],
    ['DescribeSecret', (input) => describeSecret(find(input))],
    ['GetSecretValue', (input) => getSecretValue(find(input), input)],
    ['PutSecretValue', (input) => putSecretValue(find(input), input, rotation)],
    ['UpdateSecretVersionStage', (input) => updateSecretVersionStage(find(input), input)],
    ['ListSecretVersionIds', (input) => listSecretVersionIds(find(input), input)],
    ['RotateSecret', (input) => rotateSecret(find(input), input, rotation)],
    ['CancelRotateSecret', (input) => cancelRotateSecret(find(input), rotation)],
    ['ListSecrets', (input) => listSecrets(store, input)],
    ['BatchGetSecretValue', (input) => batchGetSecretValue(store, input)],
  ]);
}

function createSecret(store: SecretStore, input: Input): object {
  const name = requiredString(input, 'Name');
  const value = secretString(input);
  const versionId = value === undefined ? undefined : clientRequestToken(input);
  const existing = store.findByName(name);
  // A retried CreateSecret (same token, same value) succeeds unchanged, as the token contract promises.
  const retried = versionId === undefined ? undefined : existing?.versions.get(versionId);
  if (existing && retried && retried.value === value) {
    return { ARN: existing.arn, Name: name, VersionId: versionId };
  }
  const secret = store.create({
    name,
    description: optionalString(input, 'Description'),
    tags: tags(input),
    ...(versionId !== undefined && value !== undefined && { version: { id: versionId, value } }),
  });
  return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
}

function tags(input: Input): Tag[] {
  const raw = input.Tags ?? [];
  if (!Array.isArray(raw)) throw new ServiceError('SerializationException', 'Tags must be a list');
  return raw.map((tag: Input) => ({ Key: requiredString(tag, 'Key'), Value: requiredString(tag, 'Value') }));
}

function describeSecret(secret: SecretRecord): object {
  const { rotation } = secret;
  const { lastRotatedDate, enabled, rules } = rotation;
  const lastRotation =
    lastRotatedDate && lastRotatedDate > secret.lastManualRotationDate
      ? lastRotatedDate
      : secret.lastManualRotationDate;
  // AWS reports the rotation dates only while rotation is turned on.
  const nextRotation = enabled && rules ? nextRotationDate(rules, lastRotation) : undefined;
  return {
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    RotationEnabled: enabled,
    RotationLambdaARN: rotation.lambdaArn,
    RotationRules: rules,
    LastRotatedDate: enabled ? epochSeconds(lastRotatedDate) : undefined,
    NextRotationDate: epochSeconds(nextRotation),
    LastChangedDate: epochSeconds(secret.lastChangedDate),
    LastAccessedDate: epochSeconds(secret.lastAccessedDate),
    CreatedDate: epochSeconds(secret.createdDate),
    Tags: secret.tags.length > 0 ? secret.tags : undefined,
    // Deprecated versions (no staging label) are not listed.
    VersionIdsToStages: Object.fromEntries(
      [...secret.versions.values()].filter((v) => v.stages.size > 0).map((v) => [v.id, [...v.stages]]),
    ),
  };
}

function getSecretValue(secret: SecretRecord, input: Input): object {
  const versionId = optionalString(input, 'VersionId');
  const stage = optionalString(input, 'VersionStage');
  const version = selectVersion(secret, versionId, stage);
  // The AWSPENDING placeholder exists but has no value yet: AWS answers as if it did not exist.
  if (version?.value === undefined) {
    throw secretValueNotFound(
      versionId === undefined || stage !== undefined
        ? `staging label: ${stage ?? AWSCURRENT}`
        : `VersionId: ${versionId}`,
    );
  }
  // AWS tracks last access by day only.
  const today = new Date(new Date().setUTCHours(0, 0, 0, 0));
  secret.lastAccessedDate = today;
  version.lastAccessedDate = today;
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: version.id,
    SecretString: version.value,
    VersionStages: [...version.stages],
    CreatedDate: epochSeconds(version.createdDate),
  };
}

/** BatchGetSecretValue's limit on SecretIdList. */
const MAX_BATCH_SECRET_IDS = 20;

/**
 * BatchGetSecretValue with SecretIdList (1 to 20 names or ARNs): each secret's AWSCURRENT value as
 * GetSecretValue returns it, in SecretValues; a secret that cannot be read (not found, no current value) is
 * an entry of Errors with its id, code and message, not a failure of the call. Choosing the secrets by
 * Filters instead is not emulated: such a request is refused, saying so.
 */
function batchGetSecretValue(store: SecretStore, input: Input): object {
  const ids = optionalStringList(input, 'SecretIdList');
  const filtered = input.Filters !== undefined;
  if (ids !== undefined && filtered) {
    throw invalidParameter('You can specify SecretIdList or Filters, but not both.');
  }
  if (filtered) throw invalidRequest('This emulator implements BatchGetSecretValue with SecretIdList only.');
  if (ids === undefined) throw invalidParameter('You must specify either SecretIdList or Filters.');
  if (input.MaxResults !== undefined) {
    throw invalidParameter('MaxResults can only be used with Filters, not with SecretIdList.');
  }
  if (ids.length < 1 || ids.length > MAX_BATCH_SECRET_IDS) {
    throw new ServiceError(
      'ValidationException',
      "1 validation error detected: Value at 'secretIdList' failed to satisfy constraint: Member must have " +
        `length less than or equal to ${MAX_BATCH_SECRET_IDS} and greater than or equal to 1`,
    );
  }
  const values: object[] = [];
  const errors: object[] = [];
  for (const id of ids) {
    try {
      values.push(getSecretValue(store.find(id), {}));
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      errors.push({ SecretId: id, ErrorCode: error.type, Message: error.message });
    }
  }
  return { SecretValues: values, Errors: errors };
}

/** With both VersionId and VersionStage given they must name the same version; with neither, AWSCURRENT. */
function selectVersion(
  secret: SecretRecord,
  versionId: string | undefined,
  stage: string | undefined,
): SecretVersion | undefined {
  if (versionId === undefined) return versionWithStage(secret, stage ?? AWSCURRENT);
  const version = secret.versions.get(versionId);
  return stage === undefined || version?.stages.has(stage) ? version : undefined;
}

function putSecretValue(secret: SecretRecord, input: Input, rotation: RotationEngine): object {
  const versionId = clientRequestToken(input);
  const value = secretString(input);
  if (value === undefined) throw invalidParameter('You must provide either SecretString or SecretBinary.');
  const stages = optionalStringList(input, 'VersionStages') ?? [AWSCURRENT];
  const rotationToken = optionalString(input, 'RotationToken');
  if (rotationToken !== undefined) {
    secret.rotationTokensReceived.push(rotationToken);
    if (!rotation.acceptsRotationToken(secret, rotationToken)) {
      throw accessDenied('The RotationToken does not match a rotation in progress for this secret.');
    }
  }
  const existing = secret.versions.get(versionId);
  if (existing?.value !== undefined) {
    if (existing.value !== value) {
      throw resourceExists("You can't modify an existing version, you can only create a new version.");
    }
    return putResponse(secret, existing);
  }
  // A new version written outside the rotation replaces it (RotationAbandoned); filling the placeholder does not.
  if (!existing && rotationToken === undefined) rotation.abandon(secret);
  const version = existing ?? addVersion(secret, versionId, undefined);
  version.value = value;
  const first = versionWithStage(secret, AWSCURRENT) === undefined;
  for (const stage of first ? [...stages, AWSCURRENT] : stages) attachStage(secret, stage, version);
  const now = new Date();
  secret.lastChangedDate = now;
  if (rotationToken === undefined && version.stages.has(AWSCURRENT)) secret.lastManualRotationDate = now;
  return putResponse(secret, version);
}

function putResponse(secret: SecretRecord, version: SecretVersion): object {
  return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
}

function updateSecretVersionStage(secret: SecretRecord, input: Input): object {
  const stage = requiredString(input, 'VersionStage');
  const target = knownVersion(secret, optionalString(input, 'MoveToVersionId'));
  const source = knownVersion(secret, optionalString(input, 'RemoveFromVersionId'));
  if (!target && !source) {
    throw invalidParameter('You must specify MoveToVersionId, RemoveFromVersionId, or both.');
  }
  if (source && !source.stages.has(stage)) {
    throw invalidParameter(`The staging label ${stage} is not attached to version ${source.id}.`);
  }
  const holder = versionWithStage(secret, stage);
  if (target && holder && holder !== target && holder !== source) {
    throw invalidParameter(
      `The staging label ${stage} is attached to version ${holder.id}. Specify it as RemoveFromVersionId to move the label.`,
    );
  }
  // A secret always has a current version: AWSCURRENT can be moved, never just removed.
  if (stage === AWSCURRENT && !target) {
    throw invalidParameter('You must specify MoveToVersionId to move the AWSCURRENT staging label.');
  }
  if (target) attachStage(secret, stage, target);
  else source?.stages.delete(stage);
  secret.lastChangedDate = new Date();
  return { ARN: secret.arn, Name: secret.name };
}

function knownVersion(secret: SecretRecord, versionId: string | undefined): SecretVersion | undefined {
  if (versionId === undefined) return undefined;
  const version = secret.versions.get(versionId);
  if (!version) throw invalidParameter(`The version ${versionId} does not exist for this secret.`);
  return version;
}

function listSecretVersionIds(secret: SecretRecord, input: Input): object {
  const pageSize = optionalInteger(input, 'MaxResults', 1, 100) ?? 100;
  const start = pageStart(optionalString(input, 'NextToken'));
  const includeDeprecated = optionalBoolean(input, 'IncludeDeprecated') ?? false;
  const versions = [...secret.versions.values()].filter((v) => includeDeprecated || v.stages.size > 0);
  const end = start + pageSize;
  return {
    ARN: secret.arn,
    Name: secret.name,
    Versions: versions.slice(start, end).map((version) => ({
      VersionId: version.id,
      VersionStages: version.stages.size > 0 ? [...version.stages] : undefined,
      CreatedDate: epochSeconds(version.createdDate),
      LastAccessedDate: epochSeconds(version.lastAccessedDate),
    })),
    NextToken: end < versions.length ? Buffer.from(String(end)).toString('base64url') : undefined,
  };
}

/**
 * ListSecrets without filters, a page at a time: each secret as a SecretListEntry, which holds what
 * DescribeSecret returns but names its versions' labels SecretVersionsToStages.
 */
function listSecrets(store: SecretStore, input: Input): object {
  const pageSize = optionalInteger(input, 'MaxResults', 1, 100) ?? 100;
  const start = pageStart(optionalString(input, 'NextToken'));
  const secrets = store.all();
  const end = start + pageSize;
  return {
    SecretList: secrets.slice(start, end).map((secret) => {
      const { VersionIdsToStages, ...entry } = describeSecret(secret) as { VersionIdsToStages: object };
      return { ...entry, SecretVersionsToStages: VersionIdsToStages };
    }),
    NextToken: end < secrets.length ? Buffer.from(String(end)).toString('base64url') : undefined,
  };
}

/** NextToken is opaque to callers; here it encodes the index of the next version or secret. */
function pageStart(nextToken: string | undefined): number {
  if (nextToken === undefined) return 0;
  const start = Number(Buffer.from(nextToken, 'base64url').toString());
  if (!Number.isInteger(start) || start < 1) {
    throw new ServiceError('InvalidNextTokenException', 'The NextToken value is invalid.');
  }
  return start;
}

function rotateSecret(secret: SecretRecord, input: Input, rotation: RotationEngine): object {
  const versionId = clientRequestToken(input);
  const rulesInput = optionalStructure(input, 'RotationRules');
  const rules = rulesInput && parseRotationRules(rulesInput);
  const rotateImmediately = optionalBoolean(input, 'RotateImmediately') ?? true;
  const lambdaArn = optionalString(input, 'RotationLambdaARN') ?? secret.rotation.lambdaArn;
  if (lambdaArn === undefined) {
    throw invalidRequest('No Lambda rotation function ARN is associated with this secret.');
  }
  if (pendingRotationVersion(secret)) {
    throw invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.");
  }
  if (!rotation.canInvoke(lambdaArn)) {
    throw accessDenied(
      'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.',
    );
  }
  if (secret.versions.has(versionId)) {
    throw resourceExists(`A version with the ClientRequestToken ${versionId} already exists.`);
  }
  secret.rotation = { ...secret.rotation, enabled: true, lambdaArn, ...(rules && { rules }) };
  secret.lastChangedDate = new Date();
  // Secrets Manager creates the AWSPENDING version, without a value, before invoking createSecret.
  attachStage(secret, AWSPENDING, addVersion(secret, versionId, undefined));
  rotation.start(secret, rotateImmediately ? 'rotation' : 'test', versionId, lambdaArn);
  return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
}

function cancelRotateSecret(secret: SecretRecord, rotation: RotationEngine): object {
  secret.rotation.enabled = false;
  secret.lastChangedDate = new Date();
  rotation.cancel(secret);
  // The labels stay as they are: the caller must remove AWSPENDING from the partial version.
  return { ARN: secret.arn, Name: secret.name, VersionId: pendingRotationVersion(secret)?.id };
}
