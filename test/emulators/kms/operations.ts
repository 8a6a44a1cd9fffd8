import { timingSafeEqual } from 'node:crypto';
import { type Input, memberName, missing, wrongType } from '../aws/input.js';
import type { JsonOperationHandler } from '../aws/json-protocol.js';
import { ServiceError, validationError } from '../aws/service-error.js';
import { HMAC_KEY_SPECS, hmac, KEY_SPECS, KEY_USAGES, type KeyStore, type KmsKey } from './keys.js';

const MAC_ALGORITHMS = ['HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512'];

/**
 * The operations, keyed by the name in `X-Amz-Target: TrentService.<Name>`, with the constraints of the
 * AWS KMS API reference: KeyId 1-2048 characters, Message 1-4096 bytes, Mac 1-6144 bytes, blobs as
 * base64 in JSON, MacAlgorithm one of the HMAC_SHA_* values.
 */
export function kmsOperations(store: KeyStore): ReadonlyMap<string, JsonOperationHandler> {
  return new Map<string, JsonOperationHandler>([
    ['CreateKey', (input) => createKey(store, input)],
    ['DescribeKey', (input) => ({ KeyMetadata: metadata(findKey(store, input)) })],
    ['GenerateMac', (input) => generateMac(store, input)],
    ['VerifyMac', (input) => verifyMac(store, input)],
  ]);
}

function createKey(store: KeyStore, input: Input): object {
  const keySpec = optionalEnum(input, 'KeySpec', KEY_SPECS) ?? 'SYMMETRIC_DEFAULT';
  const keyUsage = optionalEnum(input, 'KeyUsage', KEY_USAGES) ?? 'ENCRYPT_DECRYPT';
  const description = optionalString(input, 'Description');
  const isHmac = keySpec in HMAC_KEY_SPECS;
  // "HMAC KMS keys ... KeyUsage must be GENERATE_VERIFY_MAC" and only HMAC keys may have that usage.
  if (isHmac !== (keyUsage === 'GENERATE_VERIFY_MAC')) {
    throw new ServiceError(
      'ValidationException',
      `KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}`,
    );
  }
  const key = store.create({ keySpec, keyUsage, ...(description === undefined ? {} : { description }) });
  return { KeyMetadata: metadata(key) };
}

function generateMac(store: KeyStore, input: Input): object {
  const message = blob(input, 'Message', 4096);
  const algorithm = macAlgorithm(input);
  const key = usableMacKey(store, input, algorithm, 'GenerateMac');
  return { KeyId: key.arn, Mac: hmac(key, message).toString('base64'), MacAlgorithm: algorithm };
}

function verifyMac(store: KeyStore, input: Input): object {
  const message = blob(input, 'Message', 4096);
  const mac = blob(input, 'Mac', 6144);
  const algorithm = macAlgorithm(input);
  const key = usableMacKey(store, input, algorithm, 'VerifyMac');
  const expected = hmac(key, message);
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
    // KMS reports a MAC that does not verify with this exception, never with MacValid false.
    throw new ServiceError('KMSInvalidMacException', 'The MAC is not valid for the message and key.');
  }
  return { KeyId: key.arn, MacValid: true, MacAlgorithm: algorithm };
}

function usableMacKey(store: KeyStore, input: Input, algorithm: string, operation: string): KmsKey {
  const key = findKey(store, input);
  if (key.state === 'Disabled') throw new ServiceError('DisabledException', `${key.arn} is disabled.`);
  if (key.state !== 'Enabled') {
    throw new ServiceError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
  }
  if (key.keyUsage !== 'GENERATE_VERIFY_MAC') {
    throw new ServiceError(
      'InvalidKeyUsageException',
      `${key.arn} key usage is ${key.keyUsage} which is not valid for ${operation}.`,
    );
  }
  if (HMAC_KEY_SPECS[key.keySpec]?.algorithm !== algorithm) {
    throw new ServiceError(
      'InvalidKeyUsageException',
      `Algorithm ${algorithm} is incompatible with key spec ${key.keySpec}.`,
    );
  }
  return key;
}

function findKey(store: KeyStore, input: Input): KmsKey {
  const keyId = optionalString(input, 'KeyId');
  if (keyId === undefined) throw missing('KeyId');
  if (keyId.length < 1 || keyId.length > 2048) {
    throw lengthError(
      'KeyId',
      keyId.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 2048',
    );
  }
  const key = store.find(keyId);
  if (key === undefined) {
    throw new ServiceError('NotFoundException', `Key '${keyId}' does not exist`);
  }
  return key;
}

function macAlgorithm(input: Input): string {
  const algorithm = optionalEnum(input, 'MacAlgorithm', MAC_ALGORITHMS);
  if (algorithm === undefined) throw missing('MacAlgorithm');
  return algorithm;
}

/** A blob member: base64 in JSON, of 1 to `max` bytes once decoded. */
function blob(input: Input, key: string, max: number): Buffer {
  const value = input[key];
  if (value === undefined || value === null) throw missing(key);
  if (typeof value !== 'string') throw wrongType(key, 'a base64-encoded blob');
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64').replace(/=+$/, '') !== value.replace(/=+$/, '')) {
    throw new ServiceError('SerializationException', `${key} is not valid base64.`);
  }
  if (bytes.length < 1) throw lengthError(key, 'greater than or equal to 1');
  if (bytes.length > max) throw lengthError(key, `less than or equal to ${max}`);
  return bytes;
}

function optionalString(input: Input, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw wrongType(key, 'a string');
  return value;
}

function optionalEnum(input: Input, key: string, values: readonly string[]): string | undefined {
  const value = optionalString(input, key);
  if (value === undefined || values.includes(value)) return value;
  throw validationError(
    `Value '${value}' at '${memberName(key)}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(', ')}]`,
  );
}

function lengthError(key: string, bound: string): ServiceError {
  return validationError(
    `Value at '${memberName(key)}' failed to satisfy constraint: Member must have length ${bound}`,
  );
}

function metadata(key: KmsKey): object {
  return {
    AWSAccountId: key.arn.split(':')[4],
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: key.creationDate.getTime() / 1000,
    Enabled: key.state === 'Enabled',
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: key.state,
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    KeySpec: key.keySpec,
    CustomerMasterKeySpec: key.keySpec,
    ...(key.keySpec in HMAC_KEY_SPECS ? { MacAlgorithms: [HMAC_KEY_SPECS[key.keySpec]?.algorithm] } : {}),
    MultiRegion: false,
  };
}
