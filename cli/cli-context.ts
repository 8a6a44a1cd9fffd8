import { EventBridgeScheduler } from '../lambda/adapters/eventbridge-scheduler.js';
import { FactifyClient } from '../lambda/adapters/factify/client.js';
import { FactifyHttp } from '../lambda/adapters/factify/http.js';
import { KmsSealKey } from '../lambda/adapters/kms-seal-key.js';
import { createSecretsManagerClient, SecretsManagerStore } from '../lambda/adapters/secrets-manager-store.js';
import type {
  FactifyKeys,
  InspectableRevocationScheduler,
  InspectableSecretStore,
  SealKey,
} from '../lambda/ports.js';
import { loadConfig } from '../lambda/settings/config.js';
import { Logger } from '../lambda/telemetry/log.js';
import { CliError } from './cli-error.js';
import { ExplainedSecretStore } from './explained-store.js';
import { forTerminal } from './format.js';

/** The terminal the CLI talks to. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdin: NodeJS.ReadableStream;
  /** Both stdin and stdout are terminals, so a person can answer a question. */
  readonly interactive: boolean;
}

/** What every command works with. */
export interface CliContext {
  readonly store: InspectableSecretStore;
  readonly factify: FactifyKeys;
  /**
   * Verifies the function's seals with the KMS key FACTIFY_SEAL_KEY_ID names (kms:VerifyMac). Without it no
   * value counts as the function's, so nothing is revoked as a replaced key.
   */
  readonly sealKey: SealKey;
  /** Where the function schedules revocations after a grace period. */
  readonly scheduler: InspectableRevocationScheduler;
  readonly region: string;
  /** The secret whose key manages Factify keys; undefined for self-rotation. */
  readonly adminSecretId?: string;
  readonly io: CliIo;
  /** Prints a line on stdout, scrubbed of anything shaped like a key and of control characters. */
  print(line?: string): void;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

// Each Factify call (a request and its retries) gets at most this, and never more than the command has left.
const FACTIFY_CALL_BUDGET_MS = 60_000;

/**
 * Builds the context from the environment the rotation function reads (FACTIFY_API_URL,
 * FACTIFY_ADMIN_SECRET_ID) and the AWS SDK's standard one (region, endpoint, credentials).
 */
export async function createContext(
  options: { adminSecretId?: string /** When the command must have ended (epoch ms). */; deadline: number },
  io: CliIo,
  env: NodeJS.ProcessEnv,
): Promise<CliContext> {
  const config = loadConfig(env);
  const client = createSecretsManagerClient();
  let region: string;
  try {
    region = await client.config.region();
  } catch (error) {
    throw new CliError(
      'No AWS region is configured. Set AWS_REGION to the region of the secret, or use an AWS_PROFILE ' +
        'whose configuration names a region.',
      undefined,
      { cause: error, code: 'AWS_REGION_MISSING' },
    );
  }
  const endpoint = env.AWS_ENDPOINT_URL_SECRETS_MANAGER?.trim();
  const adminSecretId = options.adminSecretId ?? config.adminSecretId;
  return {
    store: new ExplainedSecretStore(new SecretsManagerStore(client), {
      region,
      ...(endpoint ? { endpoint } : {}),
    }),
    factify: new FactifyClient(
      new FactifyHttp({
        baseUrl: config.factifyApiUrl,
        remainingMs: () => Math.min(FACTIFY_CALL_BUDGET_MS, options.deadline - Date.now()),
        // The client logs its retries as JSON lines on stdout for CloudWatch; here they would garble the output.
        log: new Logger({}, 'ERROR'),
      }),
    ),
    sealKey: config.sealKeyId === undefined ? UNVERIFIED : new KmsSealKey(config.sealKeyId),
    // Where the function makes its revocation schedules (REVOKE_SCHEDULE_GROUP, as the function reads it).
    scheduler: new EventBridgeScheduler(
      config.revokeScheduleGroup === undefined ? {} : { group: config.revokeScheduleGroup },
    ),
    region,
    ...(adminSecretId === undefined ? {} : { adminSecretId }),
    io,
    print: (line = '') => io.stdout(`${forTerminal(line)}\n`),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

// Without the key id the CLI cannot tell a seal from a forgery: it treats every value as written by hand.
const UNVERIFIED: SealKey = {
  generateMac: () => Promise.reject(new Error('The CLI never writes sealed values.')),
  verifyMac: () => Promise.resolve(false),
};
