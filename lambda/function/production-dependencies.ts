import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { FactifyClient } from '../adapters/factify/client.js';
import { FactifyHttp } from '../adapters/factify/http.js';
import { KmsSealKey } from '../adapters/kms-seal-key.js';
import { SecretsManagerStore } from '../adapters/secrets-manager-store.js';
import type { InspectableRevocationScheduler } from '../ports.js';
import type { Dependencies } from './handler.js';

// The SDK reads these when a client is created. Lambda never changes them within a container, but a process
// that runs the handler against different endpoints in turn (local runs, tests) must get fresh clients.
const SDK_ENVIRONMENT = [
  'AWS_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_SCHEDULER',
  'AWS_ENDPOINT_URL_KMS',
  'AWS_ACCESS_KEY_ID',
  'AWS_PROFILE',
];

type SchedulerModule = typeof import('../adapters/eventbridge-scheduler.js');

// One SDK client each per container: their connections are reused across invocations.
let clients:
  | {
      environment: string;
      store: SecretsManagerStore;
      sealKeys: Map<string, KmsSealKey>;
      scheduler?: Promise<{ module: SchedulerModule; client: SchedulerClient }>;
    }
  | undefined;

/** The handler's dependencies in Lambda: Secrets Manager through the AWS SDK, Factify through undici. */
export function productionDependencies(): Dependencies {
  const environment = JSON.stringify(SDK_ENVIRONMENT.map((name) => process.env[name]));
  if (clients?.environment !== environment) {
    clients = { environment, store: new SecretsManagerStore(), sealKeys: new Map() };
  }
  const current = clients;
  return {
    store: current.store,
    factify: (options) => new FactifyClient(new FactifyHttp(options)),
    sealKey: (keyId) => {
      const key = current.sealKeys.get(keyId) ?? new KmsSealKey(keyId);
      current.sealKeys.set(keyId, key);
      return key;
    },
    // Imported on first use: rotations without a grace period never load the Scheduler SDK.
    scheduler: async (settings): Promise<InspectableRevocationScheduler> => {
      current.scheduler ??= import('../adapters/eventbridge-scheduler.js').then((module) => ({
        module,
        client: module.createSchedulerClient(),
      }));
      const { module, client } = await current.scheduler;
      return new module.EventBridgeScheduler(settings, client);
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => new Date(),
  };
}
