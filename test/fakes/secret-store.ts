import { randomUUID } from 'node:crypto';
import type {
  InspectableSecretStore,
  SecretDescription,
  SecretDetails,
  SecretVersionInfo,
  VersionSelector,
} from '../../lambda/ports.js';
import { Sensitive } from '../../lambda/telemetry/redaction.js';

interface Version {
  stages: Set<string>;
  value?: string;
}

interface Secret {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  versions: Map<string, Version>;
}

/**
 * An in-memory SecretStore with Secrets Manager's staging semantics (moving AWSCURRENT leaves AWSPREVIOUS
 * behind), for unit-testing the steps. The emulator in test/emulators tests the real adapter.
 */
export class FakeSecretStore implements InspectableSecretStore {
  readonly calls: string[] = [];
  readonly rotationTokens: string[] = [];
  readonly #secrets = new Map<string, Secret>();
  readonly #failures = new Map<string, Error[]>();

  /** Adds a secret with rotation enabled and `value` as AWSCURRENT. */
  addSecret(
    name: string,
    value: unknown,
    options: { rotationEnabled?: boolean } = {},
  ): { arn: string; versionId: string } {
    const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;
    const versionId = randomUUID();
    const secret: Secret = {
      arn,
      name,
      rotationEnabled: options.rotationEnabled ?? true,
      versions: new Map(),
    };
    secret.versions.set(versionId, { stages: new Set(['AWSCURRENT']), value: toText(value) });
    this.#secrets.set(arn, secret);
    this.#secrets.set(name, secret);
    return { arn, versionId };
  }

  /** What RotateSecret does before invoking createSecret: an AWSPENDING version without a value. */
  addPendingPlaceholder(secretId: string, token: string = randomUUID()): string {
    this.#secret(secretId).versions.set(token, { stages: new Set(['AWSPENDING']) });
    return token;
  }

  setVersion(secretId: string, versionId: string, stages: string[], value?: unknown): void {
    const secret = this.#secret(secretId);
    for (const stage of stages) for (const version of secret.versions.values()) version.stages.delete(stage);
    secret.versions.set(versionId, {
      stages: new Set(stages),
      ...(value === undefined ? {} : { value: toText(value) }),
    });
  }

  /** Stages per version, for assertions. */
  stages(secretId: string): Record<string, string[]> {
    return Object.fromEntries(
      [...this.#secret(secretId).versions].map(([id, version]) => [id, [...version.stages].sort()]),
    );
  }

  valueOf(secretId: string, versionId: string): Record<string, unknown> | undefined {
    const value = this.#secret(secretId).versions.get(versionId)?.value;
    return value === undefined ? undefined : JSON.parse(value);
  }

  failNext(operation: string, error: Error): void {
    this.#failures.set(operation, [...(this.#failures.get(operation) ?? []), error]);
  }

  async describe(secretId: string): Promise<SecretDescription> {
    this.#record('describe');
    return this.#description(secretId);
  }

  /** Rotation every 30 days, with no dates: the audit's inspection is tested against the emulators. */
  async describeDetails(secretId: string): Promise<SecretDetails> {
    this.#record('describe');
    return this.#details(secretId);
  }

  #description(secretId: string): SecretDescription {
    const secret = this.#secret(secretId);
    const versions: Record<string, string[]> = {};
    for (const [id, version] of secret.versions)
      if (version.stages.size > 0) versions[id] = [...version.stages];
    return { arn: secret.arn, name: secret.name, rotationEnabled: secret.rotationEnabled, versions };
  }

  #details(secretId: string): SecretDetails {
    return {
      ...this.#description(secretId),
      rotation: {
        lambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:factify-key-rotation',
        schedule: 'rate(30 days)',
      },
    };
  }

  async listVersions(secretId: string): Promise<SecretVersionInfo[]> {
    this.#record('listVersions');
    return Object.entries((await this.describe(secretId)).versions).map(([versionId, stages]) => ({
      versionId,
      stages,
    }));
  }

  /** Every secret (the fake's rotation function is the one asked for); records the function asked for. */
  readonly listedFor: string[] = [];
  async listSecretsRotatedBy(functionArn: string): Promise<SecretDetails[]> {
    this.#record('listSecretsRotatedBy');
    this.listedFor.push(functionArn);
    return [...new Set([...this.#secrets.values()].map((secret) => secret.arn))].map((arn) =>
      this.#details(arn),
    );
  }

  /** One recorded call per 20 secrets, as BatchGetSecretValue takes them; a secret that is gone is left out. */
  async currentValues(secretArns: readonly string[]): Promise<ReadonlyMap<string, Sensitive>> {
    const values = new Map<string, Sensitive>();
    for (let start = 0; start < secretArns.length; start += 20) {
      this.#record('currentValues');
      for (const arn of secretArns.slice(start, start + 20)) {
        const value = this.#secrets.has(arn) ? await this.#currentValue(arn) : undefined;
        if (value !== undefined) values.set(arn, value);
      }
    }
    return values;
  }

  async #currentValue(secretId: string): Promise<Sensitive | undefined> {
    const value = [...this.#secret(secretId).versions.values()].find((version) =>
      version.stages.has('AWSCURRENT'),
    )?.value;
    return value === undefined ? undefined : new Sensitive(value);
  }

  async getValue(secretId: string, selector: VersionSelector): Promise<Sensitive | undefined> {
    this.#record('getValue');
    const secret = this.#secret(secretId);
    const stage = selector.stage ?? (selector.versionId === undefined ? 'AWSCURRENT' : undefined);
    const found = [...secret.versions].find(
      ([id, version]) =>
        (selector.versionId === undefined || id === selector.versionId) &&
        (stage === undefined || version.stages.has(stage)),
    );
    const value = found?.[1].value;
    return value === undefined ? undefined : new Sensitive(value);
  }

  async putPendingValue(
    secretId: string,
    token: string,
    value: Sensitive,
    rotationToken?: Sensitive,
  ): Promise<'stored' | 'another-value'> {
    this.#record('putPendingValue');
    if (rotationToken) this.rotationTokens.push(rotationToken.reveal());
    const secret = this.#secret(secretId);
    const existing = secret.versions.get(token);
    // ResourceExistsException: versions are immutable.
    if (existing?.value !== undefined && existing.value !== value.reveal()) return 'another-value';
    for (const version of secret.versions.values()) version.stages.delete('AWSPENDING');
    secret.versions.set(token, {
      stages: new Set([...(existing?.stages ?? []), 'AWSPENDING']),
      value: value.reveal(),
    });
    return 'stored';
  }

  async updateStage(
    secretId: string,
    stage: string,
    change: { moveToVersionId?: string; removeFromVersionId?: string },
  ): Promise<void> {
    this.#record('updateStage');
    const secret = this.#secret(secretId);
    const holder = [...secret.versions].find(([, version]) => version.stages.has(stage))?.[0];
    if (change.removeFromVersionId !== undefined && holder !== change.removeFromVersionId) {
      throw new Error(`InvalidParameterException: ${stage} is not on version ${change.removeFromVersionId}`);
    }
    if (
      holder !== undefined &&
      change.moveToVersionId !== undefined &&
      holder !== change.moveToVersionId &&
      change.removeFromVersionId === undefined
    ) {
      throw new Error(`InvalidParameterException: ${stage} is on another version`);
    }
    if (change.removeFromVersionId !== undefined)
      secret.versions.get(change.removeFromVersionId)?.stages.delete(stage);
    if (change.moveToVersionId !== undefined) {
      const target = secret.versions.get(change.moveToVersionId);
      if (target === undefined) throw new Error('ResourceNotFoundException: no such version');
      target.stages.add(stage);
      if (stage === 'AWSCURRENT' && change.removeFromVersionId !== undefined) {
        for (const version of secret.versions.values()) version.stages.delete('AWSPREVIOUS');
        secret.versions.get(change.removeFromVersionId)?.stages.add('AWSPREVIOUS');
      }
    }
  }

  async startRotation(secretId: string, clientRequestToken?: string): Promise<string> {
    this.#record('startRotation');
    return this.addPendingPlaceholder(secretId, clientRequestToken);
  }

  #record(operation: string): void {
    this.calls.push(operation);
    const error = this.#failures.get(operation)?.shift();
    if (error) throw error;
  }

  #secret(secretId: string): Secret {
    const secret = this.#secrets.get(secretId);
    if (secret === undefined) throw new Error(`ResourceNotFoundException: no secret ${secretId}`);
    return secret;
  }
}

function toText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
