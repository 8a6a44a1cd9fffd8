import { describe, expect, it } from 'vitest';
import { parseProblem } from '../../../lambda/adapters/factify/problem.js';
import { expectNoSecrets } from '../../support/no-secrets.js';
import { CURRENT_KEY } from './harness.js';

describe('parseProblem', () => {
  describe('reads the documented code from each documented format, and none of the text', () => {
    it.each<[string, unknown, { code?: string; detail: string }]>([
      [
        'RFC 9457 problem details with type about:blank',
        {
          type: 'about:blank',
          title: 'Bad Request',
          status: 400,
          detail: 'Request body is malformed or missing required fields.',
        },
        { detail: 'no documented error code' },
      ],
      [
        "a problem type on Factify's documentation site",
        {
          type: 'https://developers.factify.com/errors/not-found',
          title: 'Not Found',
          detail: 'API key not found.',
        },
        {
          code: 'https://developers.factify.com/errors/not-found',
          detail: 'https://developers.factify.com/errors/not-found',
        },
      ],
      [
        "the guides' code and the field the request sent",
        {
          error: {
            type: 'invalid_request_error',
            code: 'invalid_field_value',
            message: 'name must be at most 63 characters',
            param: 'name',
          },
        },
        { code: 'invalid_field_value', detail: 'invalid_field_value, field "name"' },
      ],
      [
        "the guides' type when there is no code",
        { error: { type: 'authentication_error', message: 'Invalid API key' } },
        { code: 'authentication_error', detail: 'authentication_error' },
      ],
      [
        "a ConnectRPC detail's reason over the coarse code",
        {
          code: 'permission_denied',
          message: 'The API key lacks the required role',
          details: [{ reason: 'insufficient_permissions', request_id: 'req_01jd4h5x7k9m2n3p4q5r6s7t8v' }],
        },
        { code: 'insufficient_permissions', detail: 'insufficient_permissions' },
      ],
      [
        'a ConnectRPC code without details, and its field',
        { code: 'invalid_argument', message: 'value too long', details: [{ param: 'reason' }] },
        { code: 'invalid_argument', detail: 'invalid_argument, field "reason"' },
      ],
    ])('%s', (_case, body, expected) => {
      expect(parseProblem(JSON.stringify(body))).toEqual(expected);
    });
  });

  describe('retry_after', () => {
    it('is read from a 429 body, nested or at the top level', () => {
      const nested = parseProblem(
        JSON.stringify({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', retry_after: 12 } }),
      );
      const top = parseProblem(JSON.stringify({ code: 'resource_exhausted', retry_after: 2.5 }));

      expect(nested).toEqual({
        code: 'rate_limit_exceeded',
        detail: 'rate_limit_exceeded',
        retryAfterSeconds: 12,
      });
      expect(top.retryAfterSeconds).toBe(2.5);
    });

    it.each([-1, '12', null])('is ignored when it is %j', (value) => {
      expect(parseProblem(JSON.stringify({ retry_after: value })).retryAfterSeconds).toBeUndefined();
    });
  });

  describe('a body in no documented format', () => {
    it.each([
      ['plain text', `invalid token: Bearer ${CURRENT_KEY}`],
      ['a JSON array', JSON.stringify([CURRENT_KEY])],
      ['a JSON string', JSON.stringify(CURRENT_KEY)],
    ])('is described by its size only: %s', (_case, body) => {
      expect(parseProblem(body)).toEqual({
        detail: `a response body in no documented error format (${Buffer.byteLength(body)} bytes)`,
      });
    });

    it('is "no response body" when empty', () => {
      expect(parseProblem('  ')).toEqual({ detail: 'no response body' });
    });
  });

  describe('free text and values outside the documented sets', () => {
    it.each([
      ['a problem detail', { type: 'about:blank', detail: `Unknown API key ${CURRENT_KEY}` }],
      ['a guide-format message', { error: { code: 'invalid_api_key', message: CURRENT_KEY } }],
      ['a field name', { error: { code: 'invalid_field_value', param: CURRENT_KEY } }],
      ['a ConnectRPC code', { code: `invalid_api_key:${CURRENT_KEY}`, message: 'no' }],
      ['a ConnectRPC reason', { code: 'unauthenticated', details: [{ reason: CURRENT_KEY }] }],
      ['a guide-format code', { error: { code: CURRENT_KEY.toUpperCase() } }],
      ['a problem type elsewhere', { type: `https://x/${CURRENT_KEY}` }],
      [
        'a problem type with a key in its slug',
        { type: `https://developers.factify.com/errors/${CURRENT_KEY}` },
      ],
      ['a code with control characters', { code: `\u001b[31minternal` }],
    ])('are never returned: %s', (_case, body) => {
      const problem = parseProblem(JSON.stringify(body));

      expectNoSecrets(JSON.stringify(problem), [CURRENT_KEY]);
      expect(JSON.stringify(problem)).toMatch(/^[\x20-\x7e]*$/);
      expect(problem.detail.length).toBeLessThan(120);
    });

    it('falls back from an undocumented code to a documented one', () => {
      const problem = parseProblem(
        JSON.stringify({ error: { code: 'made_up', type: 'not_found_error', param: 'apiKey' } }),
      );

      expect(problem).toEqual({ code: 'not_found_error', detail: 'not_found_error' });
    });

    it('does not find Object.prototype members as codes', () => {
      expect(parseProblem(JSON.stringify({ code: 'constructor', error: { code: 'toString' } }))).toEqual({
        detail: 'no documented error code',
      });
    });
  });
});
