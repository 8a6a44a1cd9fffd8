import { createHmac, randomBytes, randomUUID } from 'node:crypto';

/** The KMS key specs and usages the emulator knows; HMAC keys are the ones it computes with. */
export const HMAC_KEY_SPECS: Readonly<Record<string, { algorithm: string; hash: string; bytes: number }>> = {
  HMAC_224: { algorithm: 'HMAC_SHA_224', hash: 'sha224', bytes: 28 },
  HMAC_256: { algorithm: 'HMAC_SHA_256', hash: 'sha256', bytes: 32 },
  HMAC_384: { algorithm: 'HMAC_SHA_384', hash: 'sha384', bytes: 48 },
  HMAC_512: { algorithm: 'HMAC_SHA_512', hash: 'sha512', bytes: 64 },
};
export const KEY_SPECS = ['SYMMETRIC_DEFAULT', ...Object.keys(HMAC_KEY_SPECS)] as const;
export const KEY_USAGES = ['ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC'] as const;
export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

export interface KmsKey {
  readonly keyId: string;
  readonly arn: string;
  readonly keySpec: string;
  readonly keyUsage: string;
  readonly description: string;
  readonly creationDate: Date;
  state: KeyState;
  /** The key material: never leaves the emulator, as it never leaves KMS. */
  readonly material: Buffer;
}

/** Every key of one account and region. */
export class KeyStore {
  readonly #keys = new Map<string, KmsKey>();

  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {}

  create(options: { keySpec: string; keyUsage: string; description?: string }): KmsKey {
    const keyId = randomUUID();
    const key: KmsKey = {
      keyId,
      arn: `arn:aws:kms:${this.region}:${this.accountId}:key/${keyId}`,
      keySpec: options.keySpec,
      keyUsage: options.keyUsage,
      description: options.description ?? '',
      creationDate: new Date(),
      state: 'Enabled',
      material: randomBytes(HMAC_KEY_SPECS[options.keySpec]?.bytes ?? 32),
    };
    this.#keys.set(keyId, key);
    return key;
  }

  /** A key by id or key ARN of this account and region; undefined for anything else (aliases included). */
  find(keyId: string): KmsKey | undefined {
    const prefix = `arn:aws:kms:${this.region}:${this.accountId}:key/`;
    const id = keyId.startsWith(prefix) ? keyId.slice(prefix.length) : keyId;
    return this.#keys.get(id);
  }
}

/** The HMAC of `message` under an HMAC key, with the hash its spec names. */
export function hmac(key: KmsKey, message: Buffer): Buffer {
  const spec = HMAC_KEY_SPECS[key.keySpec];
  if (spec === undefined) throw new Error(`${key.keySpec} is not an HMAC key spec`);
  return createHmac(spec.hash, key.material).update(message).digest();
}
