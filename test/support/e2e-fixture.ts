import { afterEach, beforeEach } from 'vitest';
import {
  type RotationEnvironment,
  type RotationEnvironmentOptions,
  startRotationEnvironment,
} from './rotation-environment.js';
import { type SeededSecret, seedSecret } from './seeded-secret.js';

/**
 * The end-to-end tests' set-up, named once per describe block: a fresh rotation environment before each test,
 * closed after it. `environment` stands for the running test's: it forwards to it, so the block can write
 * `const { environment } = useRotationEnvironment()` and use it in every test. `restart` replaces it, for a
 * test that needs other options.
 */
export function useRotationEnvironment(options: RotationEnvironmentOptions = {}): {
  readonly environment: RotationEnvironment;
  restart(options?: RotationEnvironmentOptions): Promise<void>;
} {
  let current: RotationEnvironment | undefined;
  beforeEach(async () => {
    current = await startRotationEnvironment(options);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    environment: forwardTo('environment', () => current),
    restart: async (others = {}) => {
      await current?.close();
      current = await startRotationEnvironment(others);
    },
  };
}

/** {@link useRotationEnvironment}, with a secret seeded in each fresh environment (seedSecret's defaults). */
export function useSeededEnvironment(options: RotationEnvironmentOptions = {}): {
  readonly environment: RotationEnvironment;
  readonly seeded: SeededSecret;
  restart(options?: RotationEnvironmentOptions): Promise<void>;
} {
  const fixture = useRotationEnvironment(options);
  let seeded: SeededSecret | undefined;
  beforeEach(() => {
    seeded = seedSecret(fixture.environment);
  });
  return {
    environment: fixture.environment,
    seeded: forwardTo('seeded', () => seeded),
    restart: async (others) => {
      await fixture.restart(others);
      seeded = seedSecret(fixture.environment);
    },
  };
}

/** An object that reads and writes through to the one `current()` returns at that moment. */
function forwardTo<T extends object>(name: string, current: () => T | undefined): T {
  const target = (): T => {
    const value = current();
    if (value === undefined) throw new Error(`${name} exists only while a test runs (set up in beforeEach)`);
    return value;
  };
  return new Proxy({} as T, {
    get: (_, key) => {
      const value = Reflect.get(target(), key);
      return typeof value === 'function' ? value.bind(target()) : value;
    },
    set: (_, key, value) => Reflect.set(target(), key, value),
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
      // The proxy's own target is empty: a property it reports must be configurable.
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}
