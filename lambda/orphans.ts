import { isOwnedBy } from './key-naming.js';
import type { FactifyKey } from './ports.js';

/**
 * The orphans of a secret: active keys that its own rotations created (by the function's ownership rule)
 * and that none of the keys in `held` is. createSecret revokes them before making a new key; `status` and
 * the audit report them. One rule, so that what is reported is what the next rotation cleans up.
 */
export function orphanedKeys(
  keys: readonly FactifyKey[],
  secretArn: string,
  held: Iterable<string | undefined>,
): FactifyKey[] {
  const heldIds = new Set(held);
  return keys.filter((key) => key.isActive && isOwnedBy(key.name, secretArn) && !heldIds.has(key.id));
}
