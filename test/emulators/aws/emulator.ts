import type { CallInterceptor } from '../interception.js';
import type { Fault, LoopbackServer } from './loopback-server.js';

/** Where an SDK client reaches an emulator, with credentials it accepts. */
interface EmulatorConnection {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * What every loopback emulator offers besides its service: the endpoint, the call log, fault injection,
 * and real SDK clients that close() destroys along with the server.
 */
export abstract class LoopbackEmulator<Call> {
  readonly #clients = new Set<{ destroy(): void }>();

  constructor(
    readonly endpoint: string,
    readonly region: string,
    private readonly server: LoopbackServer<Call>,
  ) {}

  get calls(): ReadonlyArray<Call> {
    return this.server.calls;
  }

  resetCalls(): void {
    this.server.calls.length = 0;
  }

  failNext(operation: string, fault: Fault): void {
    this.server.failNext(operation, fault);
  }

  /** Sees every request from now on, and may crash its caller mid-call (see CallInterceptor). */
  intercept(interceptor: CallInterceptor | undefined): void {
    this.server.interceptor = interceptor;
  }

  async close(): Promise<void> {
    for (const client of this.#clients) client.destroy();
    this.#clients.clear();
    await this.server.close();
  }

  /** Makes an SDK client with `make`, which lays the connection over the caller's own config. */
  protected createClient<Client extends { destroy(): void }>(
    make: (connection: EmulatorConnection) => Client,
  ): Client {
    const client = make({
      endpoint: this.endpoint,
      region: this.region,
      // Dummy credentials: the emulators check at most a signature's scope, never the signature itself.
      credentials: { accessKeyId: 'AKIAEMULATOR', secretAccessKey: 'emulator-secret-access-key' },
    });
    this.#clients.add(client);
    return client;
  }
}
