// Fault injection: what a matching request gets instead of (or after) the normal answer.
import type { ErrorFormat } from './errors.js';
import { assertValid, checkStatus } from './options.js';

/** A response to send in place of the normal one. */
export interface FaultResponse {
  status: number;
  /** Sent verbatim: a string as text/plain (e.g. a proxy's HTML page), anything else as JSON. Default: a generated error body. */
  body?: unknown;
  /** Added to (and overriding) the generated headers. */
  headers?: Record<string, string>;
  /** Shape of the generated error body. @default the simulator's `errorFormat` */
  format?: ErrorFormat;
  /** For a 429: the body's `retry_after` in seconds (and `Retry-After` when that header is on). @default 1 */
  retryAfter?: number;
}

/** What an `apply-then-*` fault did before misbehaving. */
export interface AppliedOperation {
  method: string;
  path: string;
  /** The status the operation would have answered with. */
  status: number;
  /** The key created or revoked. */
  keyId?: string;
}

/** Called after the operation took effect and before the faulty answer, e.g. to SIGKILL the client. */
export type OnApplied = (operation: AppliedOperation) => void | Promise<void>;

export interface FaultTarget {
  method: string;
  /** The exact pathname (e.g. `/v1/api-keys`), or a pattern tested against it. */
  path: string | RegExp;
  /** Predicate on the parsed JSON body (`undefined` when there is none or it is malformed). */
  when?: (body: unknown) => boolean;
  /** How many matching requests it affects. @default 1 */
  times?: number;
}

/**
 * Acts before anything else, like a failing proxy: no authentication, no rate-limit charge, no effect.
 * `hang` accepts the request and never answers (until `close()`); `reset` drops the connection with a TCP RST.
 */
export type ImmediateFault = FaultTarget &
  (({ kind: 'status' } & FaultResponse) | { kind: 'hang' | 'reset' });

/**
 * Lets the request take effect, then misbehaves. Used up only by requests that succeed, so that
 * "the next key creation" means exactly that. `apply-then-status` answers 500 unless told otherwise.
 */
export type AfterApplyFault = FaultTarget & { onApplied?: OnApplied } & (
    | ({ kind: 'apply-then-status' } & Partial<FaultResponse>)
    | { kind: 'apply-then-hang' | 'apply-then-reset' }
  );

/**
 * A key listing that never ends: every `GET /v1/api-keys` is answered 200 with a page of `keysPerPage` revoked
 * keys of the caller's organization that exist nowhere else, and a cursor never seen before, forever (it stays
 * armed until `clearFaults()`). Each page stays under the client's 1 MB cap. @default keysPerPage 1,000
 */
export type EndlessPagesFault = FaultTarget & { kind: 'endless-pages'; keysPerPage?: number };

export type Fault = ImmediateFault | AfterApplyFault | EndlessPagesFault;

export type FaultKind = Fault['kind'];

const isImmediate = (fault: Fault): fault is ImmediateFault | EndlessPagesFault =>
  !fault.kind.startsWith('apply-then-');
const isAfterApply = (fault: Fault): fault is AfterApplyFault => fault.kind.startsWith('apply-then-');

export class FaultQueue {
  #armed: { fault: Fault; remaining: number }[] = [];

  add(fault: Fault): void {
    const times = fault.times ?? 1;
    assertValid('Invalid fault', [
      ...(Number.isInteger(times) && times > 0 ? [] : [`times must be a positive integer, got ${times}`]),
      ...('status' in fault && fault.status !== undefined ? checkStatus('status', fault.status, 200) : []),
    ]);
    this.#armed.push({ fault, remaining: fault.kind === 'endless-pages' ? Number.POSITIVE_INFINITY : times });
  }

  clear(): void {
    this.#armed = [];
  }

  takeImmediate(method: string, path: string, body: unknown): ImmediateFault | EndlessPagesFault | undefined {
    return this.#take(isImmediate, method, path, body);
  }

  takeAfterApply(method: string, path: string, body: unknown): AfterApplyFault | undefined {
    return this.#take(isAfterApply, method, path, body);
  }

  /** Uses up one application of the oldest armed fault of that kind matching the request. */
  #take<T extends Fault>(
    ofKind: (fault: Fault) => fault is T,
    method: string,
    path: string,
    body: unknown,
  ): T | undefined {
    const entry = this.#armed.find(
      ({ fault }) =>
        ofKind(fault) &&
        fault.method === method &&
        (typeof fault.path === 'string' ? fault.path === path : fault.path.test(path)) &&
        (fault.when?.(body) ?? true),
    );
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.#armed = this.#armed.filter((armed) => armed !== entry);
    return entry.fault as T;
  }
}
