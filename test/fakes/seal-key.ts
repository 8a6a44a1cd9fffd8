import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SealKey } from '../../lambda/ports.js';

/** An in-memory HMAC-SHA-256 key for the unit tests; the KMS emulator in test/emulators tests the adapter. */
export class FakeSealKey implements SealKey {
  readonly calls: string[] = [];
  readonly #secret = randomBytes(32);

  async generateMac(message: Uint8Array): Promise<Uint8Array> {
    this.calls.push('GenerateMac');
    return createHmac('sha256', this.#secret).update(message).digest();
  }

  async verifyMac(message: Uint8Array, mac: Uint8Array): Promise<boolean> {
    this.calls.push('VerifyMac');
    const expected = createHmac('sha256', this.#secret).update(message).digest();
    return mac.length === expected.length && timingSafeEqual(expected, mac);
  }
}
