import { describe, expect, it } from 'vitest';
import { checkFactifyApiUrl, DEFAULT_FACTIFY_API_URL } from '../../lambda/settings/factify-api-url.js';

// The one table of the Factify API URL rules: the function (FACTIFY_API_URL, loopback http allowed for local
// emulators) and the stack (the factifyApiUrl prop) apply the same check.
describe('checkFactifyApiUrl', () => {
  const HTTPS = /must use https, not (http|ftp)/;
  it.each<[string, string | RegExp, string | RegExp]>([
    // value, as the function sees it, as the stack sees it (a URL: accepted as that; a pattern: the problem)
    [DEFAULT_FACTIFY_API_URL, 'https://api.factify.com/v1', 'https://api.factify.com/v1'],
    ['https://eu.api.factify.com/v1/', 'https://eu.api.factify.com/v1', 'https://eu.api.factify.com/v1'],
    [
      'https://proxy.example.com/factify/v1',
      'https://proxy.example.com/factify/v1',
      'https://proxy.example.com/factify/v1',
    ],
    ['http://127.0.0.1:8080/v1', 'http://127.0.0.1:8080/v1', HTTPS],
    ['http://localhost:9000/v1', 'http://localhost:9000/v1', HTTPS],
    ['http://[::1]:9000/v1', 'http://[::1]:9000/v1', HTTPS],
    ['http://api.factify.com/v1', /^http is allowed only for a loopback host; use https$/, HTTPS],
    ['ftp://api.factify.com/v1', HTTPS, HTTPS],
    ['ftp://127.0.0.1/v1', HTTPS, HTTPS],
    ['not a url', /not an absolute URL/, /not an absolute URL/],
    ['https://api.factify.com', /path must end with \/v1/, /path must end with \/v1/],
    ['https://api.factify.com/v2', /path must end with \/v1/, /path must end with \/v1/],
    [
      'https://user:hunter2@api.factify.com/v1',
      /must not contain credentials/,
      /must not contain credentials/,
    ],
    ['https://api.factify.com/v1?region=eu', /must not have a query or fragment/, /must not have a query/],
    ['https://api.factify.com/v1#top', /must not have a query or fragment/, /must not have a query/],
  ])('%s', (value, asFunction, asStack) => {
    for (const [loopbackHttp, expected] of [
      [true, asFunction],
      [false, asStack],
    ] as const) {
      const checked = checkFactifyApiUrl(value, { loopbackHttp });
      if (typeof expected === 'string') {
        expect(checked).toEqual({ url: expected });
      } else {
        expect(checked).toEqual({ problem: expect.stringMatching(expected) });
        // The problem names no part of the URL, which may hold credentials.
        expect((checked as { problem: string }).problem).not.toContain('hunter2');
      }
    }
  });
});
