import type {
  InspectableSecretStore,
  SecretDescription,
  SecretDetails,
  SecretVersionInfo,
  VersionSelector,
} from '../lambda/ports.js';
import type { Sensitive } from '../lambda/telemetry/redaction.js';
import { type AwsTarget, explainAwsError } from './aws-errors.js';

/**
 * The secret store with every AWS error turned into an operator-facing message that names the Secrets
 * Manager action, so that an AccessDenied says which permission is missing. The commands use only this.
 */
export class ExplainedSecretStore implements InspectableSecretStore {
  constructor(
    private readonly inner: InspectableSecretStore,
    private readonly target: AwsTarget,
  ) {}

  describe(secretId: string): Promise<SecretDescription> {
    return this.#call('DescribeSecret', secretId, () => this.inner.describe(secretId));
  }

  describeDetails(secretId: string): Promise<SecretDetails> {
    return this.#call('DescribeSecret', secretId, () => this.inner.describeDetails(secretId));
  }

  listVersions(secretId: string): Promise<SecretVersionInfo[]> {
    return this.#call('ListSecretVersionIds', secretId, () => this.inner.listVersions(secretId));
  }

  listSecretsRotatedBy(functionArn: string): Promise<SecretDetails[]> {
    return this.#call('ListSecrets', '*', () => this.inner.listSecretsRotatedBy(functionArn));
  }

  currentValues(secretArns: readonly string[]): Promise<ReadonlyMap<string, Sensitive>> {
    return this.#call('BatchGetSecretValue', '*', () => this.inner.currentValues(secretArns));
  }

  getValue(secretId: string, version: VersionSelector): Promise<Sensitive | undefined> {
    return this.#call('GetSecretValue', secretId, () => this.inner.getValue(secretId, version));
  }

  putPendingValue(
    secretId: string,
    token: string,
    value: Sensitive,
    rotationToken?: Sensitive,
  ): Promise<'stored' | 'another-value'> {
    return this.#call('PutSecretValue', secretId, () =>
      this.inner.putPendingValue(secretId, token, value, rotationToken),
    );
  }

  updateStage(
    secretId: string,
    stage: string,
    change: { readonly moveToVersionId?: string; readonly removeFromVersionId?: string },
  ): Promise<void> {
    return this.#call('UpdateSecretVersionStage', secretId, () =>
      this.inner.updateStage(secretId, stage, change),
    );
  }

  startRotation(secretId: string): Promise<string> {
    return this.#call('RotateSecret', secretId, () => this.inner.startRotation(secretId));
  }

  async #call<T>(action: string, secretId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw explainAwsError(error, action, secretId, this.target);
    }
  }
}
