import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';

/** One HTTP exchange as FactifyHttp sees it. */
export interface HttpResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface TransportRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON text, sent with its Content-Length. */
  readonly body?: string;
  /** The whole exchange, connection to last byte of the body: past it the request fails with the signal's TimeoutError. */
  readonly timeoutMs: number;
}

/**
 * Sends one request and reads the whole response. Rejects with the error of the network or timeout that
 * stopped it: an Error with a `code` (ECONNREFUSED, ECONNRESET, CONNECT_TIMEOUT...) or a DOMException
 * named TimeoutError.
 */
export type Transport = (request: TransportRequest) => Promise<HttpResponse>;

/** The code of the error raised when no connection is established (TCP and, for https, TLS) in time. */
export const CONNECT_TIMEOUT = 'CONNECT_TIMEOUT';

/**
 * The production transport: Node's own HTTP client over one keep-alive pool per container, reused across
 * invocations. Node's client parses responses natively; undici, the client used before, parses them with a
 * WebAssembly build of llhttp, whose compilation and later tier-up cost every cold start time and a warm
 * container ~25 MB of memory, and undici itself added ~290 KB to the bundle.
 */
export function nodeTransport(options: { connectTimeoutMs: number; idleSocketMs: number }): Transport {
  const pools = {
    'http:': new http.Agent({ keepAlive: true, timeout: options.idleSocketMs }),
    'https:': new https.Agent({ keepAlive: true, timeout: options.idleSocketMs }),
  };
  return ({ url, method, headers, body, timeoutMs }) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const signal = AbortSignal.timeout(timeoutMs);
      // A request aborted by the deadline fails with the deadline's TimeoutError, not Node's AbortError.
      const fail = (error: Error) => reject(signal.aborted ? signal.reason : error);
      const request = (secure ? https : http).request(
        url,
        {
          method,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
          agent: secure ? pools['https:'] : pools['http:'],
          signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', fail);
          response.on('close', () => {
            if (!response.complete) {
              fail(
                Object.assign(new Error('The connection closed before the response ended'), {
                  code: 'ECONNRESET',
                }),
              );
            }
          });
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      request.on('error', fail);
      request.on('socket', (socket: Socket) => {
        // A pooled socket is connected already; a new one must connect (and finish TLS) in time.
        if (!socket.connecting) return;
        const timer = setTimeout(() => {
          request.destroy(
            Object.assign(new Error(`No connection to ${url.host} within ${options.connectTimeoutMs} ms`), {
              code: CONNECT_TIMEOUT,
            }),
          );
        }, options.connectTimeoutMs);
        socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
        request.once('close', () => clearTimeout(timer));
      });
      request.end(body);
    });
}
