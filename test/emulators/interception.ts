/**
 * A hook every emulator offers for crash tests: it sees each request as it arrives, in the order the
 * caller sent them, and may make the caller die while that request is in flight.
 */

/** A request as the interceptor sees it. */
export interface InterceptedCall {
  /** The emulated service: 'secretsmanager', 'scheduler' or 'factify'. */
  readonly service: string;
  /** The service's name for it: an AWS operation, or for Factify the method and path with ids as `{id}`. */
  readonly operation: string;
}

/** The caller dies while its request is in flight. */
export interface InFlightCrash {
  /**
   * true: the service applies the request and the answer is lost with the caller. false: the request is
   * lost on the way and never applied.
   */
  readonly applied: boolean;
  /** Ends the caller (after applying the request, when `applied`); resolves once it is gone. */
  crash(): Promise<void>;
}

/** Called on every request before anything else happens to it; undefined lets it through untouched. */
export type CallInterceptor = (call: InterceptedCall) => InFlightCrash | undefined;
