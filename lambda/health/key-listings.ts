import { prefixStarts } from '../keys/ownership.js';
import type { KeySecret } from '../keys/secret-value.js';
import type { Credential, FactifyKey, FactifyKeys } from '../ports.js';
import { FactifyAuthenticationError } from '../telemetry/errors.js';

/**
 * Factify's key listings of a fleet audit, each organization's read once, not once per secret: Factify
 * allows GET 1,000 a minute per key, and an admin key that manages every secret would spend it on the same
 * list. With an admin key every secret shares its one listing. With self-rotation a secret uses a listing
 * already read (or being read) for its organization only when that listing holds the secret's own key (its
 * apiKeyId, with a matching prefix): Factify's evidence, not the organizationId the value claims, which only
 * says where to look. Otherwise the secret's own key lists, as a single inspection would.
 */
export class KeyListings {
  /** Listings requested from Factify. */
  listings = 0;
  readonly #byOrganization = new Map<string, Promise<FactifyKey[]>>();
  readonly #read: FactifyKey[][] = [];
  #admin: Promise<FactifyKey[]> | undefined;

  constructor(
    private readonly factify: FactifyKeys,
    private readonly adminKey: boolean,
  ) {}

  /** The keys of the organization of `current`, the secret's AWSCURRENT value, listed with `manager`. */
  async keysFor(manager: Credential, current: KeySecret): Promise<FactifyKey[]> {
    if (this.adminKey) {
      this.#admin ??= this.#list(manager);
      return this.#admin;
    }
    const holdsCurrent = (keys: readonly FactifyKey[]) =>
      current.apiKeyId !== undefined &&
      keys.some((key) => key.id === current.apiKeyId && prefixStarts(key, current.apiKey));
    const read = this.#read.find(holdsCurrent);
    if (read) return read;
    const organization = current.organizationId;
    let shared = organization === undefined ? undefined : this.#byOrganization.get(organization);
    while (organization !== undefined && shared !== undefined) {
      try {
        const keys = await shared;
        if (holdsCurrent(keys)) return keys;
        // The organization's listing does not hold this key: it stays the organization's; this one lists alone.
        break;
      } catch (error) {
        // Factify rejected another secret's key: that is its answer, not this one's. Any other failure
        // (Factify down, its limit) would be the same for this key: report it rather than ask again.
        if (!(error instanceof FactifyAuthenticationError)) throw error;
        const next = this.#byOrganization.get(organization);
        if (next === shared) {
          // This secret's key lists for the organization now; the others waiting take its listing.
          this.#byOrganization.delete(organization);
          break;
        }
        shared = next;
      }
    }
    const own = this.#list(manager);
    if (organization !== undefined && !this.#byOrganization.has(organization))
      this.#byOrganization.set(organization, own);
    return own;
  }

  async #list(manager: Credential): Promise<FactifyKey[]> {
    this.listings += 1;
    const keys = await this.factify.listKeys(manager, { includeRevoked: true });
    this.#read.push(keys);
    return keys;
  }
}
