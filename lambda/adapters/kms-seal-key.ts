import { GenerateMacCommand, KMSClient, KMSInvalidMacException, VerifyMacCommand } from '@aws-sdk/client-kms';
import type { SealKey } from '../ports.js';

const MAC_ALGORITHM = 'HMAC_SHA_256';

/**
 * The seal key over KMS: GenerateMac and VerifyMac with HMAC_SHA_256 under the key FACTIFY_SEAL_KEY_ID
 * names. VerifyMac rather than GenerateMac and a local compare: KMS compares in constant time, and a
 * reader (the operator's CLI) needs only kms:VerifyMac, which cannot forge a seal. Region, endpoint
 * (AWS_ENDPOINT_URL_KMS) and credentials come from the SDK's standard environment.
 */
export class KmsSealKey implements SealKey {
  constructor(
    private readonly keyId: string,
    private readonly client: KMSClient = new KMSClient({
      // As for Secrets Manager: a hung call fails and is retried rather than running into the Lambda timeout.
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
    }),
  ) {}

  async generateMac(message: Uint8Array): Promise<Uint8Array> {
    const out = await this.client.send(
      new GenerateMacCommand({ KeyId: this.keyId, MacAlgorithm: MAC_ALGORITHM, Message: message }),
    );
    if (out.Mac === undefined) throw new Error('KMS GenerateMac returned no Mac.');
    return out.Mac;
  }

  async verifyMac(message: Uint8Array, mac: Uint8Array): Promise<boolean> {
    try {
      const out = await this.client.send(
        new VerifyMacCommand({ KeyId: this.keyId, MacAlgorithm: MAC_ALGORITHM, Message: message, Mac: mac }),
      );
      return out.MacValid === true;
    } catch (error) {
      // KMS answers a MAC that does not verify with this error, not with MacValid false.
      if (error instanceof KMSInvalidMacException) return false;
      throw error;
    }
  }
}
