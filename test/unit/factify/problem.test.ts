import { describe, expect, it } from 'vitest';
import { parseProblem } from '../../../lambda/adapters/factify/problem.js';
import { expectNoSecrets } from '../../support/no-secrets.js';
import { CURRENT_KEY } from './harness.js';

describe('parseProblem', () => {
  describe('RFC 9457 problem details (the /v1 reference pages)', () => {
    it('reads the detail and reports no code for type about:blank', () => {
      // Prepare
      const body = JSON.stringify({
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'Request body is malformed or missing required fields.',
      });

      // Act
      const problem = parseProblem(body);

      // Assess
      expect(problem).toEqual({ detail: 'Request body is malformed or missing required fields.' });
    });

    it('uses a problem type other than about:blank as the code', () => {
      // Prepare
      const body = JSON.stringify({
        type: 'https://developers.factify.com/errors/not-found',
        title: 'Not Found',
        status: 404,
        detail: 'API key not found.',
      });

      // Act
      const problem = parseProblem(body);

      // Assess
      expect(problem).toEqual({
        code: 'https://developers.factify.com/errors/not-found',
        detail: 'API key not found.',
      });
    });

    it('falls back to the title when there is no detail', () => {
      // Prepare
      const body = JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404 });

      // Act
      const problem = parseProblem(body);

      // Assess
      expect(problem.detail).toBe('Not Found');
    });
  });

  describe('the guides\' {"error": {...}} format', () => {
    it('reads the code, the message and the offending field', () => {
      // Prepare
      const body = JSON.stringify({
        error: {
          type: 'invalid_request_error',
          code: 'invalid_field_value',
          message: 'name must be at most 63 characters',
          param: 'name',
        },
      });

      // Act
      const problem = parseProblem(body);

      // Assess
      expect(problem).toEqual({
        code: 'invalid_field_value',
        detail: 'name must be at most 63 characters (field: name)',
      });
    });

    it('uses the error type as the code when there is no code', () => {
      // Prepare
      const body = JSON.stringify({ error: { type: 'authentication_error', message: 'Invalid API key' } });

      // Act
      const problem = parseProblem(body);

      // Assess
      expect(problem).toEqual({ code: 'authentication_error', detail: 'Invalid API key' });
    });

    it('reads retry_after from a 429 body', () => {
      // Prepare
      const body = JSON.stringify({
        error: {
          type: 'rate_limit_error',
          code: 'rate_limit_exceeded',
          message: 'Too many requests',
          retry_after: 12,
        },
      });

      // Act
      const problem = parseProblem(body);

      // Assess
      expect(problem).toEqual({
        code: 'rate_limit_exceeded',
        detail: 'Too many requests',
        retryAfterSeconds: 12,
      });
    });
  });

  describe('the v1beta ConnectRPC {code, message, details} format', () => {
    it("prefers the detail's reason over the coarse code", () => {
      // Prepare
      const body = JSON.stringify({
        code: 'permission_denied',
        message: 'The API key lacks the required role',
        details: [{ reason: 'insufficient_permissions', request_id: 'req_01jd4h5x7k9m2n3p4q5r6s7t8v' }],
      });

      // Act
      const problem = parseProblem(body);

      // Assess
      expect(problem).toEqual({
        code: 'insufficient_permissions',
        detail: 'The API key lacks the required role',
      });
    });

    it('uses the code when details are empty, and names the field from the details', () => {
      // Prepare
      const withoutDetails = JSON.stringify({ code: 'not_found', message: 'API key not found', details: [] });
      const withParam = JSON.stringify({
        code: 'invalid_argument',
        message: 'value too long',
        details: [{ param: 'reason' }],
      });

      // Act
      const notFound = parseProblem(withoutDetails);
      const invalid = parseProblem(withParam);

      // Assess
      expect(notFound).toEqual({ code: 'not_found', detail: 'API key not found' });
      expect(invalid).toEqual({ code: 'invalid_argument', detail: 'value too long (field: reason)' });
    });
  });

  describe('retry_after', () => {
    it('is read from the top level of the body too', () => {
      // Prepare
      const body = JSON.stringify({ message: 'slow down', retry_after: 2.5 });

      // Act
      const problem = parseProblem(body);

      // Assess
      expect(problem.retryAfterSeconds).toBe(2.5);
    });

    it.each([
      ['a string', '30'],
      ['negative', -1],
      ['null', null],
    ])('is ignored when it is %s', (_case, value) => {
      // Prepare
      const body = JSON.stringify({ error: { message: 'slow down', retry_after: value } });

      // Act
      const problem = parseProblem(body);

      // Assess
      expect(problem.retryAfterSeconds).toBeUndefined();
    });
  });

  describe('bodies in no documented format', () => {
    it('never prints a body in no documented format, only its size', () => {
      // Prepare
      const body = '<html>\n  <body>502 Bad Gateway</body>\n</html>\n';

      // Act
      const problem = parseProblem(body);

      // Assess
      expect(problem).toEqual({
        detail: `a response body in no documented error format (${body.length} bytes)`,
      });
    });

    it.each(['', '   \n'])('says there was no body for %j', (body) => {
      // Act
      const problem = parseProblem(body);

      // Assess
      expect(problem).toEqual({ detail: 'no response body' });
    });

    it.each([
      ['a JSON string', '"oops"'],
      ['a JSON number', '42'],
      ['JSON null', 'null'],
      ['a JSON array', '[1,2]'],
      ['an object without known fields', '{"status":500}'],
    ])('never prints %s, only its size', (_case, body) => {
      // Act
      const problem = parseProblem(body);

      // Assess
      expect(problem).toEqual({
        detail: `a response body in no documented error format (${body.length} bytes)`,
      });
    });

    it('clips a long detail to 300 characters', () => {
      // Prepare
      const body = JSON.stringify({ detail: 'x'.repeat(1_000) });

      // Act
      const problem = parseProblem(body);

      // Assess
      expect(problem.detail).toBe(`${'x'.repeat(300)}...`);
    });
  });

  describe('secrets', () => {
    it.each([
      ['a problem detail', JSON.stringify({ type: 'about:blank', detail: `Unknown API key ${CURRENT_KEY}` })],
      [
        'a guide-format message',
        JSON.stringify({ error: { code: 'invalid_api_key', message: CURRENT_KEY } }),
      ],
      [
        'a JSON-escaped echo in a problem detail',
        `{"detail": "Unknown API key ${CURRENT_KEY.replaceAll('_', '\\\\u005f')}"}`,
      ],
      ['an upper-cased echo', JSON.stringify({ detail: `Unknown API key ${CURRENT_KEY.toUpperCase()}` })],
      [
        'the field name of a guide-format error',
        JSON.stringify({ error: { message: 'bad', param: CURRENT_KEY } }),
      ],
    ])('never returns a key that Factify echoed in %s', (_case, body) => {
      // Act
      const problem = parseProblem(body);

      // Assess
      expectNoSecrets(JSON.stringify(problem), [CURRENT_KEY]);
      expect(problem.detail).toContain('[redacted]');
    });

    it.each([
      ['a plain-text body', `invalid token: Bearer ${CURRENT_KEY}`],
      [
        'a JSON body with no known field',
        JSON.stringify({ echo: { authorization: `Bearer ${CURRENT_KEY}` } }),
      ],
    ])('never prints %s, so cannot print a key in it', (_case, body) => {
      // Act
      const problem = parseProblem(body);

      // Assess
      expectNoSecrets(JSON.stringify(problem), [CURRENT_KEY]);
      expect(problem.detail).toMatch(/^a response body in no documented error format \(\d+ bytes\)$/);
    });

    it.each([
      ['a ConnectRPC code', { code: `invalid_api_key:${CURRENT_KEY}`, message: 'no' }],
      ['a ConnectRPC reason', { code: 'unauthenticated', message: 'no', details: [{ reason: CURRENT_KEY }] }],
      ['a guide-format code', { error: { code: CURRENT_KEY.toUpperCase(), message: 'no' } }],
      ['a problem type', { type: `https://x/${CURRENT_KEY.replaceAll('_', '\\u005f')}`, detail: 'no' }],
    ])('redacts a key echoed in %s, and clips it', (_case, body) => {
      // Act
      const problem = parseProblem(JSON.stringify(body));

      // Assess
      expectNoSecrets(JSON.stringify(problem), [CURRENT_KEY]);
      expect(problem.code).toContain('[redacted]');
    });

    it('clips a huge code and removes its control characters', () => {
      // Act
      const problem = parseProblem(
        JSON.stringify({ code: `\u001b[31m${'x'.repeat(10_000)}`, message: 'no' }),
      );

      // Assess
      expect(problem.code).toBe(`[31m${'x'.repeat(96)}...`);
    });
  });
});
