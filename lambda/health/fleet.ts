import type { SecretDetails } from '../ports.js';
import { AuditTimeError, reportedError } from '../telemetry/errors.js';
import { INSPECTION_CONCURRENCY, mapConcurrently } from './concurrency.js';
import { type InspectionContext, inspectSecret, type SecretInspection } from './inspection.js';
import { KeyListings } from './key-listings.js';

/** One secret of a fleet: its inspection, or why it could not be checked. */
export type FleetSecret =
  | ({ readonly secretId: string } & SecretInspection)
  | {
      readonly secretId: string;
      readonly error: { readonly name: string; readonly code: string; readonly message: string };
    };

export interface FleetContext extends InspectionContext {
  /** Milliseconds left before the invocation (or the command) must have answered. */
  readonly remainingMs: () => number;
  /** Called as each secret is checked, or found not checkable: the audit logs and publishes per secret. */
  readonly onChecked?: (secret: FleetSecret) => void;
}

/**
 * No secret is started with less time than this left: an inspection takes well under a second, but a slow
 * Secrets Manager or Factify call may take several (each has its own timeout and retries).
 */
const START_RESERVE_MS = 15_000;
/** An inspection still running this close to the end is given up, so the results can still be published. */
const FINISH_RESERVE_MS = 5_000;
/** setTimeout's largest delay; longer than any Lambda may run. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Inspects every secret of a fleet with the one inspection of `factify-rotation status`, each Factify
 * organization's keys listed once, at most INSPECTION_CONCURRENCY at a time. When time runs short the secrets not
 * yet checked are reported as such (AuditTimeError) instead of being started. Keeps the order of `secrets`:
 * ids, or secrets as a ListSecrets entry described them (then not described again).
 */
export async function inspectFleet(
  ctx: FleetContext,
  secrets: readonly (string | SecretDetails)[],
): Promise<{ secrets: FleetSecret[]; factifyListings: number }> {
  const listings = new KeyListings(ctx.factify, ctx.adminSecretId !== undefined);
  const inspection: InspectionContext = {
    ...ctx,
    listKeys: (manager, current) => listings.keysFor(manager, current),
  };
  const inspected = await mapConcurrently(secrets, INSPECTION_CONCURRENCY, async (secret) => {
    const result = await inspectInTime(inspection, ctx.remainingMs, secret);
    ctx.onChecked?.(result);
    return result;
  });
  return { secrets: inspected, factifyListings: listings.listings };
}

async function inspectInTime(
  ctx: InspectionContext,
  remainingMs: () => number,
  secret: string | SecretDetails,
): Promise<FleetSecret> {
  const [secretId, described] = typeof secret === 'string' ? [secret, undefined] : [secret.arn, secret];
  const outOfTime = (why: string) => {
    const error = new AuditTimeError(
      `Secret ${secretId} was not checked: ${why}. Audit fewer secrets at once (SecretIds) or give the function a ` +
        'longer timeout.',
    );
    return failed(secretId, error);
  };
  if (remainingMs() < START_RESERVE_MS) return outOfTime('the invocation was about to time out');
  let timer: NodeJS.Timeout | undefined;
  const left = remainingMs() - FINISH_RESERVE_MS;
  // Without a deadline (a terminal), nothing to race against.
  const deadline = new Promise<'timeout'>((resolve) => {
    if (left < MAX_TIMER_MS) timer = setTimeout(() => resolve('timeout'), Math.max(0, left));
  });
  try {
    const outcome = await Promise.race([inspectSecret(ctx, secretId, described), deadline]);
    if (outcome === 'timeout') return outOfTime('its inspection had not finished when time ran out');
    return { secretId, ...outcome.report };
  } catch (error) {
    return failed(secretId, error);
  } finally {
    clearTimeout(timer);
  }
}

// Only the name, code and scrubbed message, as the handler reports its own failures.
function failed(secretId: string, error: unknown): FleetSecret {
  const reported = reportedError(error) as Error & { code: string };
  return { secretId, error: { name: reported.name, code: reported.code, message: reported.message } };
}
