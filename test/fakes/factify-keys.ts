import { randomBytes } from 'node:crypto';
import type {
  CreatedKey,
  Credential,
  FactifyKey,
  FactifyKeys,
  ListKeysOptions,
  Organization,
} from '../../lambda/ports.js';
import {
  FactifyAuthenticationError,
  FactifyPermissionError,
  FactifyRequestError,
} from '../../lambda/telemetry/errors.js';
import { Sensitive } from '../../lambda/telemetry/redaction.js';

const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';

function typeId(prefix: string): string {
  return `${prefix}_${[...randomBytes(26)].map((byte) => BASE32[byte % 32]).join('')}`;
}

interface StoredKey extends FactifyKey {
  secret: string;
  admin: boolean;
  revokedComment: string | null;
}

/** An in-memory FactifyKeys for unit-testing the steps; the simulator in test/emulators tests the adapter. */
export class FakeFactify implements FactifyKeys {
  readonly calls: { method: string; keyId?: string; reason?: string; name?: string }[] = [];
  readonly #keys: StoredKey[] = [];
  readonly #failures = new Map<string, Error[]>();

  /** `now` is the clock of the code under test, so a key's timestamps agree with it on any date. */
  constructor(private readonly now: () => Date) {}

  addOrganization(): string {
    return typeId('org');
  }

  /** Adds a key, returning its id and secret. */
  addKey(
    orgId: string,
    options: { name?: string; admin?: boolean; active?: boolean; sharePrefixWith?: string } = {},
  ): { id: string; key: string } {
    // Keys made within seconds of each other share their listed prefix (factify-api.md §3).
    const random = randomBytes(24).toString('hex');
    const key =
      options.sharePrefixWith === undefined
        ? `ffy_test_${random}`
        : `${options.sharePrefixWith.slice(0, 16)}${random}`;
    const id = typeId('key');
    this.#keys.push({
      id,
      orgId,
      name: options.name ?? 'Production',
      prefix: `${key.slice(0, 16)}...`,
      isActive: options.active ?? true,
      revokedAt: options.active === false ? this.now().toISOString() : null,
      createdAt: this.now().toISOString(),
      secret: key,
      admin: options.admin ?? true,
      revokedComment: null,
    });
    return { id, key };
  }

  key(id: string): StoredKey | undefined {
    return this.#keys.find((key) => key.id === id);
  }

  activeKeys(orgId: string): StoredKey[] {
    return this.#keys.filter((key) => key.orgId === orgId && key.isActive);
  }

  /** Every key secret ever issued, to assert none of them is printed. */
  allSecrets(): string[] {
    return this.#keys.map((key) => key.secret);
  }

  revokeCalls(keyId?: string): number {
    return this.calls.filter(
      (call) => call.method === 'revokeKey' && (keyId === undefined || call.keyId === keyId),
    ).length;
  }

  failNext(method: keyof FactifyKeys, error: Error): void {
    this.#failures.set(method, [...(this.#failures.get(method) ?? []), error]);
  }

  async getOrganization(auth: Credential): Promise<Organization> {
    const caller = this.#authenticate('getOrganization', auth, {});
    return { id: caller.orgId, name: 'Acme' };
  }

  async listKeys(auth: Credential, options: ListKeysOptions = {}): Promise<FactifyKey[]> {
    const caller = this.#authenticate('listKeys', auth, {}, true);
    return this.#keys
      .filter((key) => key.orgId === caller.orgId && (options.includeRevoked || key.revokedAt === null))
      .map(({ secret: _secret, admin: _admin, revokedComment: _comment, ...key }) => ({ ...key }));
  }

  async createKey(auth: Credential, name: string): Promise<CreatedKey> {
    const caller = this.#authenticate('createKey', auth, { name }, true);
    if (this.activeKeys(caller.orgId).length >= 5)
      throw new FactifyRequestError('limit of 5 active keys', 409);
    const { id, key } = this.addKey(caller.orgId, { name });
    const { secret: _secret, admin: _admin, revokedComment: _comment, ...listed } = this.key(id) as StoredKey;
    return { ...listed, secret: new Sensitive(key) };
  }

  async revokeKey(auth: Credential, keyId: string, reason: string): Promise<void> {
    const caller = this.#authenticate('revokeKey', auth, { keyId, reason }, true);
    const key = this.#keys.find((candidate) => candidate.id === keyId && candidate.orgId === caller.orgId);
    if (key === undefined) throw new FactifyRequestError('not found', 404);
    if (key.revokedAt !== null) throw new FactifyRequestError('already revoked', 409);
    Object.assign(key, { revokedAt: this.now().toISOString(), isActive: false, revokedComment: reason });
  }

  #authenticate(method: string, auth: Credential, details: object, needsAdmin = false): StoredKey {
    this.calls.push({ method, ...details });
    const error = this.#failures.get(method)?.shift();
    if (error) throw error;
    const caller = this.#keys.find((key) => key.secret === auth.key.reveal() && key.isActive);
    if (caller === undefined) throw new FactifyAuthenticationError('unknown key');
    if (needsAdmin && !caller.admin) throw new FactifyPermissionError('lacks the organization admin role');
    return caller;
  }
}
