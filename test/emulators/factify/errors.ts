// API errors and the three documented body shapes they can be rendered in (factify-api.md §4).
import { STATUS_CODES } from 'node:http';

/**
 * Error body shapes:
 * - `problem`: RFC 9457 problem details, as on the /v1 reference pages (the default);
 * - `guide`: `{"error":{type, code, message, param}}` from the error-handling guide;
 * - `connect`: the v1beta ConnectRPC shape `{code, message, details:[{reason, request_id}]}`.
 */
export type ErrorFormat = 'problem' | 'guide' | 'connect';

/** An error the simulated API answers with. Handlers throw it; the server renders it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** Machine-readable code, e.g. `invalid_api_key` (the guide's `code`, ConnectRPC's `reason`). */
    readonly code: string,
    message: string,
    readonly extras: {
      /** The offending request field, where there is one. */
      param?: string;
      /** Seconds until the client may retry (429 only). */
      retryAfter?: number;
      /** Render as the documented problem example exactly: four members, no extensions. */
      bare?: boolean;
    } = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * R1's one documented error, reproduced exactly. Create answers an unparseable body the same way: the
 * example's wording is generic, and both endpoints sit on the same /v1 stack.
 */
export const malformedBody = (): ApiError =>
  new ApiError(400, 'invalid_request_body', 'Request body is malformed or missing required fields.', {
    bare: true,
  });

export interface RenderedError {
  contentType: string;
  body: Record<string, unknown>;
}

export function renderError(error: ApiError, format: ErrorFormat, requestId: string): RenderedError {
  const { param, retryAfter } = error.extras;
  switch (format) {
    case 'problem':
      return {
        contentType: 'application/problem+json',
        body: {
          type: 'about:blank',
          title: STATUS_CODES[error.status] ?? 'Error',
          status: error.status,
          detail: error.message,
          ...(error.extras.bare ? {} : { code: error.code, param, retry_after: retryAfter }),
        },
      };
    case 'guide':
      return {
        contentType: 'application/json',
        body: {
          error: {
            type: guideType(error.status),
            code: error.code,
            message: error.message,
            param,
            retry_after: retryAfter,
          },
        },
      };
    case 'connect':
      return {
        contentType: 'application/json',
        body: {
          code: connectCode(error.status),
          message: error.message,
          details: [{ reason: error.code, request_id: requestId, param, retry_after: retryAfter }],
        },
      };
  }
}

/** Error types of the error-handling guide, by status. */
function guideType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'authorization_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'api_error' : 'invalid_request_error';
}

/** ConnectRPC codes by status, per the v1beta spec's mapping; statuses it omits get the closest code. */
const CONNECT_CODES: Record<number, string> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'already_exists',
  422: 'invalid_argument',
  429: 'resource_exhausted',
  500: 'internal',
  502: 'unavailable',
  503: 'unavailable',
  504: 'deadline_exceeded',
};

function connectCode(status: number): string {
  return CONNECT_CODES[status] ?? (status >= 500 ? 'unknown' : 'failed_precondition');
}
