import { createHmac } from 'node:crypto';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  DisabledException,
  GenerateMacCommand,
  InvalidKeyUsageException,
  KMSInvalidMacException,
  NotFoundException,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KmsSealKey } from '../../lambda/adapters/kms-seal-key.js';
import { type KmsEmulator, startKmsEmulator } from './kms.js';

describe('the KMS emulator', () => {
  let kms: KmsEmulator;
  beforeEach(async () => {
    kms = await startKmsEmulator();
  });
  afterEach(async () => {
    await kms.close();
  });
  const message = Buffer.from('the message');

  it('creates an HMAC key through the API and describes it as KMS does', async () => {
    const client = kms.client({ maxAttempts: 1 });
    const created = await client.send(
      new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }),
    );
    const described = await client.send(new DescribeKeyCommand({ KeyId: created.KeyMetadata?.Arn }));

    expect(described.KeyMetadata).toMatchObject({
      KeyId: created.KeyMetadata?.KeyId,
      KeySpec: 'HMAC_256',
      KeyUsage: 'GENERATE_VERIFY_MAC',
      KeyState: 'Enabled',
      MacAlgorithms: ['HMAC_SHA_256'],
    });
  });

  it('refuses an HMAC key spec with the ENCRYPT_DECRYPT usage', async () => {
    const failure = kms
      .client({ maxAttempts: 1 })
      .send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'ENCRYPT_DECRYPT' }));

    await expect(failure).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('generates an HMAC that VerifyMac accepts, by key id or key ARN', async () => {
    const { keyId, arn } = kms.createKeyDirect();
    const client = kms.client({ maxAttempts: 1 });

    const generated = await client.send(
      new GenerateMacCommand({ KeyId: keyId, MacAlgorithm: 'HMAC_SHA_256', Message: message }),
    );
    const verified = await client.send(
      new VerifyMacCommand({
        KeyId: arn,
        MacAlgorithm: 'HMAC_SHA_256',
        Message: message,
        Mac: generated.Mac,
      }),
    );

    expect(generated.Mac).toHaveLength(32);
    expect(generated.KeyId).toBe(arn);
    expect(verified).toMatchObject({ KeyId: arn, MacValid: true, MacAlgorithm: 'HMAC_SHA_256' });
  });

  it('answers a MAC that does not verify with KMSInvalidMacException, never MacValid false', async () => {
    const { keyId } = kms.createKeyDirect();
    const forged = createHmac('sha256', 'a guess').update(message).digest();

    const failure = kms
      .client({ maxAttempts: 1 })
      .send(
        new VerifyMacCommand({ KeyId: keyId, MacAlgorithm: 'HMAC_SHA_256', Message: message, Mac: forged }),
      );

    await expect(failure).rejects.toBeInstanceOf(KMSInvalidMacException);
  });

  it('gives each key its own material: another key’s MAC does not verify', async () => {
    const first = kms.createKeyDirect();
    const second = kms.createKeyDirect();
    const client = kms.client({ maxAttempts: 1 });
    const { Mac } = await client.send(
      new GenerateMacCommand({ KeyId: first.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: message }),
    );

    const failure = client.send(
      new VerifyMacCommand({ KeyId: second.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: message, Mac }),
    );

    await expect(failure).rejects.toBeInstanceOf(KMSInvalidMacException);
  });

  it('refuses a key of the wrong usage, an algorithm its spec does not support, and a disabled key', async () => {
    const client = kms.client({ maxAttempts: 1 });
    const symmetric = kms.createKeyDirect({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' });
    const hmacKey = kms.createKeyDirect();

    await expect(
      client.send(
        new GenerateMacCommand({ KeyId: symmetric.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: message }),
      ),
    ).rejects.toBeInstanceOf(InvalidKeyUsageException);
    await expect(
      client.send(
        new GenerateMacCommand({ KeyId: hmacKey.keyId, MacAlgorithm: 'HMAC_SHA_512', Message: message }),
      ),
    ).rejects.toBeInstanceOf(InvalidKeyUsageException);
    kms.setKeyState(hmacKey.keyId, 'Disabled');
    await expect(
      client.send(
        new GenerateMacCommand({ KeyId: hmacKey.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: message }),
      ),
    ).rejects.toBeInstanceOf(DisabledException);
  });

  it('answers an unknown key with NotFoundException', async () => {
    const failure = kms.client({ maxAttempts: 1 }).send(
      new GenerateMacCommand({
        KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
        MacAlgorithm: 'HMAC_SHA_256',
        Message: message,
      }),
    );

    await expect(failure).rejects.toBeInstanceOf(NotFoundException);
  });

  it('holds Message to 1-4096 bytes', async () => {
    const { keyId } = kms.createKeyDirect();
    const client = kms.client({ maxAttempts: 1 });
    const send = (bytes: number) =>
      client.send(
        new GenerateMacCommand({
          KeyId: keyId,
          MacAlgorithm: 'HMAC_SHA_256',
          Message: Buffer.alloc(bytes, 1),
        }),
      );

    await expect(send(4096)).resolves.toMatchObject({ MacAlgorithm: 'HMAC_SHA_256' });
    await expect(send(4097)).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('less than or equal to 4096'),
    });
    await expect(send(0)).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('serves the function’s adapter: a MAC it generates verifies, a changed message does not', async () => {
    const { arn } = kms.createKeyDirect();
    const key = new KmsSealKey(arn, kms.client({ maxAttempts: 1 }));

    const mac = await key.generateMac(message);

    expect(await key.verifyMac(message, mac)).toBe(true);
    expect(await key.verifyMac(Buffer.from('another message'), mac)).toBe(false);
    expect(kms.calls.map((call) => call.operation)).toEqual(['GenerateMac', 'VerifyMac', 'VerifyMac']);
  });
});
