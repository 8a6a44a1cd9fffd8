import { afterEach, beforeEach, vi } from 'vitest';
import { STEPS, type Step } from '../../lambda/function/event.js';
import { createHandler } from '../../lambda/function/handler.js';
import { FakeFactify } from '../fakes/factify-keys.js';
import { FakeScheduler } from '../fakes/scheduler.js';
import { FakeSealKey } from '../fakes/seal-key.js';
import { FakeSecretStore } from '../fakes/secret-store.js';

export const ROTATION_TOKEN = 'rotation-token-7c1d0e5e-94b3-4f7e-a1c2-secret-value';

/** Collects everything the code under test writes to stdout (its logs), for content assertions. */
export function captureLogs(): {
  text: () => string;
  lines: () => Record<string, unknown>[];
  reset: () => void;
} {
  let output = '';
  beforeEach(() => {
    output = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output += chunk.toString();
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });
  return {
    reset: () => {
      output = '';
    },
    text: () => output,
    lines: () =>
      output
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export const SEAL_KEY_ID = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
export const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:factify-key-rotation';
export const SCHEDULER_ROLE_ARN = 'arn:aws:iam::123456789012:role/factify-revoke-scheduler';

export interface Rotation {
  store: FakeSecretStore;
  factify: FakeFactify;
  scheduler: FakeScheduler;
  /** The function's KMS HMAC key: only the handler (and tests playing the function) can seal with it. */
  sealKey: FakeSealKey;
  /** Invokes the handler with any event, e.g. a scheduled revocation. */
  invoke(event: unknown): Promise<unknown>;
  /** Moves the fake clock forward. */
  advance(seconds: number): void;
  orgId: string;
  arn: string;
  currentVersionId: string;
  currentKey: { id: string; key: string };
  /** The admin key, with `admin`. */
  adminKey?: { id: string; key: string };
  token: string;
  sleeps: number[];
  run(step: Step, token?: string): Promise<unknown>;
  rotate(): Promise<void>;
  /** Every key value and token that must never be printed. */
  secrets(): string[];
}

/**
 * A secret holding a working Factify key, a rotation started on it (the AWSPENDING placeholder), and a
 * handler wired to the fakes. `admin` sets FACTIFY_ADMIN_SECRET_ID to a secret holding a separate admin key.
 */
export function startRotation(
  options: {
    admin?: boolean;
    value?: (key: { id: string; key: string }) => unknown;
    currentIsAdmin?: boolean;
    /** REVOKE_GRACE_SECONDS, with the scheduler role set. */
    graceSeconds?: number;
  } = {},
): Rotation {
  let now = Date.parse('2026-11-27T00:00:00Z');
  const clock = () => new Date(now);
  const store = new FakeSecretStore();
  const factify = new FakeFactify(clock);
  const orgId = factify.addOrganization();
  const currentKey = factify.addKey(orgId, { name: 'Production', admin: options.currentIsAdmin ?? true });
  const value = options.value?.(currentKey) ?? {
    apiKey: currentKey.key,
    apiKeyId: currentKey.id,
    team: 'payments',
  };
  const { arn, versionId } = store.addSecret('prod/factify', value);
  const known = [currentKey.key, ROTATION_TOKEN];
  let admin: { id: string; key: string } | undefined;
  if (options.admin) {
    admin = factify.addKey(orgId, { name: 'rotation-admin' });
    const { arn: adminArn } = store.addSecret('factify-admin', { apiKey: admin.key });
    known.push(admin.key);
    vi.stubEnv('FACTIFY_ADMIN_SECRET_ID', adminArn);
  }
  if (options.graceSeconds !== undefined) {
    vi.stubEnv('REVOKE_GRACE_SECONDS', String(options.graceSeconds));
    vi.stubEnv('REVOKE_SCHEDULER_ROLE_ARN', SCHEDULER_ROLE_ARN);
  }
  const token = store.addPendingPlaceholder(arn);
  const sleeps: number[] = [];
  const scheduler = new FakeScheduler();
  const sealKey = new FakeSealKey();
  vi.stubEnv('FACTIFY_SEAL_KEY_ID', SEAL_KEY_ID);
  const handler = createHandler(() => ({
    store,
    factify: () => factify,
    sealKey: () => sealKey,
    scheduler: async () => scheduler,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    now: clock,
  }));
  const context = {
    getRemainingTimeInMillis: () => 60_000,
    awsRequestId: 'req-1',
    invokedFunctionArn: FUNCTION_ARN,
  };
  const invoke = (event: unknown) => handler(event, context);
  const run = (step: Step, withToken = token) =>
    invoke({ Step: step, SecretId: arn, ClientRequestToken: withToken, RotationToken: ROTATION_TOKEN });
  return {
    store,
    factify,
    scheduler,
    sealKey,
    invoke,
    advance: (seconds) => {
      now += seconds * 1000;
    },
    orgId,
    arn,
    currentVersionId: versionId,
    currentKey,
    ...(admin === undefined ? {} : { adminKey: admin }),
    token,
    sleeps,
    run,
    rotate: async () => {
      for (const step of STEPS) await run(step);
    },
    secrets: () => [...known, ...factify.allSecrets()],
  };
}

/** The key the rotation stored in its pending version. */
export function pendingKey(rotation: Rotation): { apiKey: string; apiKeyId: string } {
  const value = rotation.store.valueOf(rotation.arn, rotation.token);
  if (value === undefined) throw new Error('no pending value');
  return value as { apiKey: string; apiKeyId: string };
}
