import { FactifyClient } from './factify/client.js';
import { FactifyHttp } from './factify/http.js';
import type { Dependencies } from './handler.js';
import type { RevocationScheduler } from './ports.js';
import { SecretsManagerStore } from './secrets-manager-store.js';

// One SDK client each per container: their connections are reused across invocations.
let store: SecretsManagerStore | undefined;
let scheduler: Promise<RevocationScheduler> | undefined;

/** The handler's dependencies in Lambda: Secrets Manager through the AWS SDK, Factify through undici. */
export function productionDependencies(): Dependencies {
  store ??= new SecretsManagerStore();
  return {
    store,
    factify: (options) => new FactifyClient(new FactifyHttp(options)),
    // Imported on first use: rotations without a grace period never load the Scheduler SDK.
    scheduler: () => {
      scheduler ??= import('./eventbridge-scheduler.js').then((module) => new module.EventBridgeScheduler());
      return scheduler;
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => new Date(),
  };
}
