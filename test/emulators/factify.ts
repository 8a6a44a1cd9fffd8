// Loopback simulator of the Factify /v1 API-key endpoints, with fault injection, for tests and benchmarks.
// It follows the documented API (/work/shared/reference/factify-api.md), not the code under test; each
// undocumented behaviour is an option over its plausible answers (see FactifySimulatorOptions).
// Choices of its own where the docs are silent and no option seemed worth it:
// - `revoked_by` is the id of the key that revoked (API-key callers have no `usr_` identity);
// - names need not be unique, and prefixes repeat for keys created within ~30 s (so neither is an id);
// - requests that fail authentication share one anonymous rate-limit budget.
// Implementation: ./factify/.
export type { ErrorFormat } from './factify/errors.js';
export type {
  AfterApplyFault,
  AppliedOperation,
  Fault,
  FaultKind,
  FaultResponse,
  ImmediateFault,
  OnApplied,
} from './factify/faults.js';
export type {
  AlreadyRevokedStatus,
  FactifySimulatorOptions,
  PropagationDelay,
  RateLimit,
} from './factify/options.js';
export type { LoggedRequest, Violation } from './factify/pipeline.js';
export type { FactifySimulator, SeededKey, SeedKeyOptions, SimulatedKey } from './factify/simulator.js';
export { startFactifySimulator } from './factify/simulator.js';
export type { ApiKeyJson } from './factify/store.js';
