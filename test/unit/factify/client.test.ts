import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FactifyClient, MAX_KEY_PAGES, MAX_LISTED_KEYS } from '../../../lambda/adapters/factify/client.js';
import {
  FactifyAuthenticationError,
  FactifyOutcomeUnknownError,
  FactifyPermissionError,
  FactifyRequestError,
  FactifyUnavailableError,
  FactifyUnexpectedResponseError,
  ListingLimitError,
} from '../../../lambda/telemetry/errors.js';
import { expectNoSecrets } from '../../support/no-secrets.js';
import {
  CREDENTIAL,
  CURRENT_KEY,
  createHarness,
  type Harness,
  JSON_HEADERS,
  KEY_ID,
  keyJson,
  NEW_KEY,
  networkError,
  ORG_ID,
  rejection,
} from './harness.js';

const OTHER_KEY_ID = 'key_01jd4h5x7k9m2n3p4q5r6s7t9a';
const THIRD_KEY_ID = 'key_01jd4h5x7k9m2n3p4q5r6s7t9b';

/** Matches GET /v1/api-keys with or without a query string. */
const LIST_PATH = (path: string) => path === '/v1/api-keys' || path.startsWith('/v1/api-keys?');

describe('FactifyClient', () => {
  let h: Harness;
  let client: FactifyClient;

  beforeEach(() => {
    h = createHarness();
    client = new FactifyClient(h.http);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await h.close();
  });

  /** The headers every request must carry, and the one it must never carry. */
  function expectAuthenticatedAsCurrentKey(): void {
    expect(h.requests().length).toBeGreaterThan(0);
    for (const request of h.requests()) {
      const headers = Object.fromEntries(
        Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
      );
      expect(headers.authorization).toBe(`Bearer ${CURRENT_KEY}`);
      expect(headers).not.toHaveProperty('x-factify-organization-id');
    }
  }

  describe('getOrganization', () => {
    it.each([
      ['a malformed id', { id: 'org_1', name: 'Acme' }],
      ['a key id', { id: KEY_ID, name: 'Acme' }],
      ['a 100 KB name', { id: ORG_ID, name: 'n'.repeat(100_000) }],
    ])('rejects an organization with %s', async (_case, body) => {
      // Prepare
      h.factify
        .intercept({ path: '/v1/organization', method: 'GET' })
        .reply(200, JSON.stringify(body), { headers: JSON_HEADERS });

      // Act
      const error = await rejection(client.getOrganization(CREDENTIAL));

      // Assess
      expect(error).toBeInstanceOf(FactifyUnexpectedResponseError);
    });

    it('reads GET /v1/organization and returns its id and name', async () => {
      // Prepare
      h.factify
        .intercept({ path: '/v1/organization', method: 'GET' })
        .reply(200, JSON.stringify({ id: ORG_ID, name: 'Acme', created_at: '2026-01-01T00:00:00Z' }), {
          headers: JSON_HEADERS,
        });

      // Act
      const organization = await client.getOrganization(CREDENTIAL);

      // Assess
      expect(organization).toEqual({ id: ORG_ID, name: 'Acme' });
      const [request] = h.requests();
      expect(request?.method).toBe('GET');
      expect(request?.path).toBe('/v1/organization');
      expect(request?.searchParams).toEqual({});
      expectAuthenticatedAsCurrentKey();
    });

    it('returns an empty name when Factify gives none', async () => {
      // Prepare
      h.factify
        .intercept({ path: '/v1/organization', method: 'GET' })
        .reply(200, JSON.stringify({ id: ORG_ID }));

      // Act
      const organization = await client.getOrganization(CREDENTIAL);

      // Assess
      expect(organization).toEqual({ id: ORG_ID, name: '' });
    });

    it.each([
      ['not JSON', '<html>OK</html>'],
      ['a JSON array', '[]'],
      ['JSON null', 'null'],
      ['without an id', JSON.stringify({ name: 'Acme' })],
      ['with an empty id', JSON.stringify({ id: '', name: 'Acme' })],
      ['with a numeric id', JSON.stringify({ id: 42, name: 'Acme' })],
    ])('rejects a 200 body %s with FactifyUnexpectedResponseError', async (_case, body) => {
      // Prepare
      h.factify.intercept({ path: '/v1/organization', method: 'GET' }).reply(200, body);

      // Act
      const error = await rejection(client.getOrganization(CREDENTIAL));

      // Assess
      expect(error).toBeInstanceOf(FactifyUnexpectedResponseError);
      expect(error).toMatchObject({ code: 'FACTIFY_UNEXPECTED_RESPONSE' });
      expect((error as Error).message).toContain('GET /v1/organization');
      expect((error as Error).message).toContain('FACTIFY_API_URL');
      expect(h.requests()).toHaveLength(1);
    });

    it('reports a 401 as FactifyAuthenticationError', async () => {
      // Prepare
      h.factify
        .intercept({ path: '/v1/organization', method: 'GET' })
        .reply(401, JSON.stringify({ error: { code: 'invalid_api_key', message: 'Invalid API key' } }));

      // Act
      const error = await rejection(client.getOrganization(CREDENTIAL));

      // Assess
      expect(error).toBeInstanceOf(FactifyAuthenticationError);
      expect((error as Error).message).toContain('invalid_api_key');
    });
  });

  describe('listKeys', () => {
    it.each([
      ['a malformed id', { id: 'key_1' }],
      ['a path in the id', { id: 'key_01jd4h5x7k9m2n3p4q5r6s7t8v/../x' }],
      ['a malformed org_id', { org_id: 'org_../x' }],
      ['a 100 KB name', { name: 'n'.repeat(100_000) }],
      ['a revoked_at that is no time', { revoked_at: 'yesterday' }],
      ['a created_at that is no time', { created_at: 'y'.repeat(100) }],
      ['a key named __proto__ with a constructor field', { name: '__proto__', constructor: 'x' }],
    ])('rejects a listed key with %s as FactifyUnexpectedResponseError', async (_case, override) => {
      // Prepare
      const item = { ...keyJson(), ...override };
      h.factify
        .intercept({ path: LIST_PATH, method: 'GET' })
        .reply(200, JSON.stringify({ api_keys: [item] }), { headers: JSON_HEADERS });

      // Act
      const outcome = client.listKeys(CREDENTIAL).then(
        (keys) => keys,
        (error: unknown) => error,
      );

      // Assess
      const result = await outcome;
      if ((override as Record<string, unknown>).name === '__proto__') {
        // A hostile name is data, not a lookup: listed as it is, nothing polluted.
        expect(result).toMatchObject([{ id: KEY_ID, name: '__proto__' }]);
        expect(({} as Record<string, unknown>).constructor).toBe(Object);
      } else {
        expect(result).toBeInstanceOf(FactifyUnexpectedResponseError);
      }
    });

    it('reads GET /v1/api-keys without a query and maps each key', async () => {
      // Prepare
      const revoked = keyJson({
        id: OTHER_KEY_ID,
        name: 'Production',
        is_active: false,
        revoked_at: '2026-11-01T00:00:00Z',
        revoked_comment: 'rotated',
      });
      h.factify
        .intercept({ path: '/v1/api-keys', method: 'GET' })
        .reply(200, JSON.stringify({ api_keys: [keyJson(), revoked] }), { headers: JSON_HEADERS });

      // Act
      const keys = await client.listKeys(CREDENTIAL);

      // Assess
      expect(keys).toEqual([
        {
          id: KEY_ID,
          orgId: ORG_ID,
          name: 'rotation-2026-11-26T10:00:00Z',
          prefix: 'ffy_test_z1yabpc...',
          isActive: true,
          revokedAt: null,
          revokedComment: null,
          createdAt: '2026-11-26T10:00:00Z',
        },
        {
          id: OTHER_KEY_ID,
          orgId: ORG_ID,
          name: 'Production',
          prefix: 'ffy_test_z1yabpc...',
          isActive: false,
          revokedAt: '2026-11-01T00:00:00Z',
          revokedComment: 'rotated',
          createdAt: '2026-11-26T10:00:00Z',
        },
      ]);
      const [request] = h.requests();
      expect(h.requests()).toHaveLength(1);
      expect(request?.method).toBe('GET');
      expect(request?.path).toBe('/v1/api-keys');
      expect(request?.searchParams).toEqual({});
      expectAuthenticatedAsCurrentKey();
    });

    it('asks for revoked keys with include_revoked=true', async () => {
      // Prepare
      h.factify.intercept({ path: LIST_PATH, method: 'GET' }).reply(200, JSON.stringify({ api_keys: [] }));

      // Act
      const keys = await client.listKeys(CREDENTIAL, { includeRevoked: true });

      // Assess
      expect(keys).toEqual([]);
      expect(h.requests()[0]?.searchParams).toEqual({ include_revoked: 'true' });
    });

    it('treats a missing revoked_at and created_at as not revoked and unknown', async () => {
      // Prepare
      const { revoked_at: _revoked, created_at: _created, ...sparse } = keyJson();
      h.factify
        .intercept({ path: LIST_PATH, method: 'GET' })
        .reply(200, JSON.stringify({ api_keys: [sparse] }));

      // Act
      const [key] = await client.listKeys(CREDENTIAL);

      // Assess
      expect(key).toMatchObject({ id: KEY_ID, revokedAt: null, createdAt: '' });
    });

    it('follows pagination.next_page_token until the last page', async () => {
      // Prepare
      const page = (id: string, next?: string) =>
        JSON.stringify({
          api_keys: [keyJson({ id })],
          pagination: next === undefined ? { has_more: false } : { has_more: true, next_page_token: next },
        });
      h.factify.intercept({ path: LIST_PATH, method: 'GET' }).reply(200, page(KEY_ID, 'cursor/2=='));
      h.factify.intercept({ path: LIST_PATH, method: 'GET' }).reply(200, page(OTHER_KEY_ID, 'cursor+3'));
      h.factify.intercept({ path: LIST_PATH, method: 'GET' }).reply(200, page(THIRD_KEY_ID));

      // Act
      const keys = await client.listKeys(CREDENTIAL, { includeRevoked: true });

      // Assess
      expect(keys.map((key) => key.id)).toEqual([KEY_ID, OTHER_KEY_ID, THIRD_KEY_ID]);
      expect(h.requests().map((request) => request.searchParams)).toEqual([
        { include_revoked: 'true' },
        { include_revoked: 'true', page_token: 'cursor/2==' },
        { include_revoked: 'true', page_token: 'cursor+3' },
      ]);
      expectAuthenticatedAsCurrentKey();
    });

    it.each([
      ['an empty token', { next_page_token: '' }],
      ['a null token', { next_page_token: null }],
      ['a null pagination', null],
    ])('stops at %s', async (_case, pagination) => {
      // Prepare
      h.factify
        .intercept({ path: LIST_PATH, method: 'GET' })
        .reply(200, JSON.stringify({ api_keys: [keyJson()], pagination }));

      // Act
      const keys = await client.listKeys(CREDENTIAL);

      // Assess
      expect(keys).toHaveLength(1);
      expect(h.requests()).toHaveLength(1);
    });

    it('follows every page of years of history: no page count turns into a failure', async () => {
      // Prepare: a rotation every 4 hours for three years leaves ~6,600 revoked keys, 66 pages of 100.
      const PAGES = 66;
      for (let page = 1; page <= PAGES; page++) {
        h.factify.intercept({ path: LIST_PATH, method: 'GET' }).reply(
          200,
          JSON.stringify({
            api_keys: [keyJson({ id: page === PAGES ? THIRD_KEY_ID : OTHER_KEY_ID })],
            pagination: page === PAGES ? {} : { next_page_token: `cursor-${page}` },
          }),
        );
      }

      // Act
      const keys = await client.listKeys(CREDENTIAL, { includeRevoked: true });

      // Assess
      expect(keys).toHaveLength(PAGES);
      expect(keys.at(-1)?.id).toBe(THIRD_KEY_ID);
      expect(h.requests()).toHaveLength(PAGES);
    });

    it('stops reading pages once a search found what it looked for', async () => {
      // Prepare
      h.factify
        .intercept({ path: LIST_PATH, method: 'GET' })
        .reply(200, JSON.stringify({ api_keys: [keyJson()], pagination: { next_page_token: 'p2' } }));
      h.factify.intercept({ path: LIST_PATH, method: 'GET' }).reply(
        200,
        JSON.stringify({
          api_keys: [keyJson({ id: OTHER_KEY_ID })],
          pagination: { next_page_token: 'p3' },
        }),
      );

      // Act
      const keys = await client.listKeys(CREDENTIAL, { until: (key) => key.id === OTHER_KEY_ID });

      // Assess
      expect(keys.map((key) => key.id)).toEqual([KEY_ID, OTHER_KEY_ID]);
      expect(h.requests()).toHaveLength(2);
    });

    it('stops endless pages, each with a new cursor, at the page limit with a typed error', async () => {
      // Prepare: an empty page and a fresh cursor, forever.
      let served = 0;
      h.factify
        .intercept({ path: LIST_PATH, method: 'GET' })
        .reply(200, () => {
          served += 1;
          return JSON.stringify({ api_keys: [], pagination: { next_page_token: `cursor-${served}` } });
        })
        .persist();

      // Act
      const error = await rejection(client.listKeys(CREDENTIAL, { includeRevoked: true }));

      // Assess
      expect(error).toBeInstanceOf(ListingLimitError);
      expect(error).toMatchObject({ code: 'LISTING_LIMIT_REACHED' });
      expect((error as Error).message).toContain(`${MAX_KEY_PAGES} pages`);
      expect(served).toBe(MAX_KEY_PAGES);
    });

    it('reads exactly the page limit when the last page ends the listing', async () => {
      for (let page = 1; page <= MAX_KEY_PAGES; page++) {
        h.factify.intercept({ path: LIST_PATH, method: 'GET' }).reply(
          200,
          JSON.stringify({
            api_keys: page === MAX_KEY_PAGES ? [keyJson()] : [],
            pagination: page === MAX_KEY_PAGES ? {} : { next_page_token: `cursor-${page}` },
          }),
        );
      }

      const keys = await client.listKeys(CREDENTIAL);

      expect(keys).toHaveLength(1);
    });

    it('stops at the key limit with a typed error, and reads up to it', async () => {
      // Prepare: pages of 2,500 keys, each under the 1 MB cap.
      const page = (next: string | undefined, count: number) =>
        JSON.stringify({
          api_keys: Array.from({ length: count }, () => keyJson({ id: OTHER_KEY_ID })),
          pagination: next === undefined ? {} : { next_page_token: next },
        });
      const full = MAX_LISTED_KEYS / 20;
      for (let index = 1; index <= 20; index++) {
        h.factify.intercept({ path: LIST_PATH, method: 'GET' }).reply(200, page(`p${index}`, full));
      }
      h.factify.intercept({ path: LIST_PATH, method: 'GET' }).reply(200, page(undefined, 1));

      // Act
      const error = await rejection(client.listKeys(CREDENTIAL));

      // Assess
      expect(error).toBeInstanceOf(ListingLimitError);
      expect((error as Error).message).toContain(`${MAX_LISTED_KEYS} keys`);
      expect(h.requests()).toHaveLength(21);
    });

    it('refuses a cursor it has already followed, which would never end', async () => {
      // Prepare
      h.factify
        .intercept({ path: LIST_PATH, method: 'GET' })
        .reply(200, JSON.stringify({ api_keys: [], pagination: { next_page_token: 'again' } }))
        .persist();

      // Act
      const error = await rejection(client.listKeys(CREDENTIAL));

      // Assess
      expect(error).toBeInstanceOf(FactifyUnexpectedResponseError);
      expect((error as Error).message).toContain('a page cursor it had already returned');
      expect(h.requests()).toHaveLength(2);
    });

    it('retries a page that failed with a 5xx and keeps its cursor', async () => {
      // Prepare
      h.factify
        .intercept({ path: LIST_PATH, method: 'GET' })
        .reply(200, JSON.stringify({ api_keys: [keyJson()], pagination: { next_page_token: 'p2' } }));
      h.factify.intercept({ path: LIST_PATH, method: 'GET' }).reply(503, '');
      h.factify
        .intercept({ path: LIST_PATH, method: 'GET' })
        .reply(200, JSON.stringify({ api_keys: [keyJson({ id: OTHER_KEY_ID })] }));

      // Act
      const keys = await client.listKeys(CREDENTIAL);

      // Assess
      expect(keys.map((key) => key.id)).toEqual([KEY_ID, OTHER_KEY_ID]);
      expect(h.requests().map((request) => request.searchParams.page_token)).toEqual([undefined, 'p2', 'p2']);
    });

    it.each([
      ['not JSON', 'OK'],
      ['without api_keys', JSON.stringify({ keys: [] })],
      ['with api_keys as an object', JSON.stringify({ api_keys: { [KEY_ID]: keyJson() } })],
      ['with api_keys as null', JSON.stringify({ api_keys: null })],
      ['with a key that is not an object', JSON.stringify({ api_keys: ['key_1'] })],
      ['with a null key', JSON.stringify({ api_keys: [null] })],
      ['with a key without is_active', JSON.stringify({ api_keys: [keyJson({ is_active: undefined })] })],
      ['with a string is_active', JSON.stringify({ api_keys: [keyJson({ is_active: 'true' })] })],
      ['with a numeric revoked_at', JSON.stringify({ api_keys: [keyJson({ revoked_at: 1_700_000_000 })] })],
      ['with a key without an id', JSON.stringify({ api_keys: [keyJson({ id: undefined })] })],
      ['with a key without org_id', JSON.stringify({ api_keys: [keyJson({ org_id: undefined })] })],
      ['with a key without a name', JSON.stringify({ api_keys: [keyJson({ name: undefined })] })],
      ['with a key without a prefix', JSON.stringify({ api_keys: [keyJson({ prefix: '' })] })],
    ])('rejects a 200 body %s with FactifyUnexpectedResponseError', async (_case, body) => {
      // Prepare
      h.factify.intercept({ path: LIST_PATH, method: 'GET' }).reply(200, body);

      // Act
      const error = await rejection(client.listKeys(CREDENTIAL));

      // Assess
      expect(error).toBeInstanceOf(FactifyUnexpectedResponseError);
      expect((error as Error).message).toContain('GET /v1/api-keys');
      expect(h.requests()).toHaveLength(1);
    });

    it('reports the HTTP status of a body that is not JSON', async () => {
      // Prepare
      h.factify.intercept({ path: LIST_PATH, method: 'GET' }).reply(203, '<html></html>');

      // Act
      const error = await rejection(client.listKeys(CREDENTIAL));

      // Assess
      expect(error).toMatchObject({ status: 203 });
      expect((error as Error).message).toContain('not JSON (HTTP 203)');
    });

    it('reports a 403 as a missing admin role', async () => {
      // Prepare
      h.factify
        .intercept({ path: LIST_PATH, method: 'GET' })
        .reply(
          403,
          JSON.stringify({ error: { type: 'authorization_error', code: 'insufficient_permissions' } }),
        );

      // Act
      const error = await rejection(client.listKeys(CREDENTIAL));

      // Assess
      expect(error).toBeInstanceOf(FactifyPermissionError);
      expect((error as Error).message).toContain('lacks the organization admin role needed to list API keys');
      expect((error as Error).message).toContain('FACTIFY_ADMIN_SECRET_ID');
    });
  });

  describe('createKey', () => {
    it('POSTs {"name"} to /v1/api-keys and returns the key with its secret wrapped', async () => {
      // Prepare
      h.factify
        .intercept({ path: '/v1/api-keys', method: 'POST' })
        .reply(201, JSON.stringify(keyJson({ key: NEW_KEY })), { headers: JSON_HEADERS });

      // Act
      const created = await client.createKey(CREDENTIAL, 'rotation-2026-11-26T10:00:00Z');

      // Assess
      expect(created).toMatchObject({
        id: KEY_ID,
        orgId: ORG_ID,
        name: 'rotation-2026-11-26T10:00:00Z',
        prefix: 'ffy_test_z1yabpc...',
        isActive: true,
        revokedAt: null,
      });
      expect(created.secret.reveal()).toBe(NEW_KEY);
      expectNoSecrets(JSON.stringify(created), [NEW_KEY]);
      expectNoSecrets(inspect(created), [NEW_KEY]);
      const [request] = h.requests();
      expect(h.requests()).toHaveLength(1);
      expect(request?.method).toBe('POST');
      expect(request?.path).toBe('/v1/api-keys');
      expect(request?.searchParams).toEqual({});
      expect(request?.headers).toMatchObject({ 'content-type': 'application/json' });
      expect(JSON.parse(String(request?.body))).toEqual({ name: 'rotation-2026-11-26T10:00:00Z' });
      expectAuthenticatedAsCurrentKey();
    });

    it.each([
      ['a prod key', 'ffy_prod_01kdx2z2abcdefghjkmnpqrstvAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg'],
      ['a live key', 'ffy_live_01kdx2z2abcdefghjkmnpqrstvAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg'],
    ])('accepts %s answered with HTTP 200', async (_case, secret) => {
      // Prepare
      h.factify
        .intercept({ path: '/v1/api-keys', method: 'POST' })
        .reply(200, JSON.stringify(keyJson({ key: secret })));

      // Act
      const created = await client.createKey(CREDENTIAL, 'rotation-1');

      // Assess
      expect(created.secret.reveal()).toBe(secret);
    });

    it.each([
      ['not JSON', 'Created'],
      ['without a key', JSON.stringify(keyJson())],
      ['with a numeric key', JSON.stringify(keyJson({ key: 12345 }))],
      ['with a key of another service', JSON.stringify(keyJson({ key: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc' }))],
      ['with a key containing punctuation', JSON.stringify(keyJson({ key: `${NEW_KEY}-x` }))],
      ['with an empty key', JSON.stringify(keyJson({ key: '' }))],
      ['with a key but no id', JSON.stringify(keyJson({ key: NEW_KEY, id: undefined }))],
      ['with a key but no is_active', JSON.stringify(keyJson({ key: NEW_KEY, is_active: undefined }))],
      ['wrapped as in v1beta', JSON.stringify({ api_key: keyJson(), secret: NEW_KEY })],
      ['with a malformed id', JSON.stringify(keyJson({ key: NEW_KEY, id: 'key_../../admin' }))],
      ['with an id of another type', JSON.stringify(keyJson({ key: NEW_KEY, id: ORG_ID }))],
      ['with an id in capitals', JSON.stringify(keyJson({ key: NEW_KEY, id: KEY_ID.toUpperCase() }))],
      ['with a malformed org_id', JSON.stringify(keyJson({ key: NEW_KEY, org_id: 'org_1' }))],
      ['with a 100 KB key', JSON.stringify(keyJson({ key: `ffy_test_${'a'.repeat(100_000)}` }))],
      ['with a 100 KB name', JSON.stringify(keyJson({ key: NEW_KEY, name: 'n'.repeat(100_000) }))],
      ['with a 100 KB prefix', JSON.stringify(keyJson({ key: NEW_KEY, prefix: 'p'.repeat(100_000) }))],
      [
        'with a created_at that is no time',
        JSON.stringify(keyJson({ key: NEW_KEY, created_at: 'x'.repeat(60_000) })),
      ],
      ['with a numeric created_at', JSON.stringify(keyJson({ key: NEW_KEY, created_at: 5 }))],
    ])(
      'rejects a 201 body %s with FactifyUnexpectedResponseError, without quoting it',
      async (_case, body) => {
        // Prepare
        h.factify.intercept({ path: '/v1/api-keys', method: 'POST' }).reply(201, body);

        // Act
        const error = await rejection(client.createKey(CREDENTIAL, 'rotation-1'));

        // Assess
        expect(error).toBeInstanceOf(FactifyUnexpectedResponseError);
        expect((error as Error).message).toContain('POST /v1/api-keys');
        expectNoSecrets((error as Error).message, [NEW_KEY]);
        expectNoSecrets(h.output().join('\n'), [NEW_KEY]);
        expect(h.requests()).toHaveLength(1);
      },
    );

    it('does not resend the POST when the outcome is unknown', async () => {
      // Prepare
      h.factify
        .intercept({ path: '/v1/api-keys', method: 'POST' })
        .replyWithError(networkError('ECONNRESET'))
        .persist();

      // Act
      const error = await rejection(client.createKey(CREDENTIAL, 'rotation-1'));

      // Assess
      expect(error).toBeInstanceOf(FactifyOutcomeUnknownError);
      expect(h.requests()).toHaveLength(1);
    });

    it('reports a validation failure with its field', async () => {
      // Prepare
      const body = {
        error: {
          type: 'invalid_request_error',
          code: 'invalid_field_value',
          message: 'too long',
          param: 'name',
        },
      };
      h.factify.intercept({ path: '/v1/api-keys', method: 'POST' }).reply(400, JSON.stringify(body));

      // Act
      const error = await rejection(client.createKey(CREDENTIAL, 'x'.repeat(100)));

      // Assess
      expect(error).toBeInstanceOf(FactifyRequestError);
      expect(error).toMatchObject({ status: 400, factifyCode: 'invalid_field_value' });
      expect((error as Error).message).toContain('(HTTP 400: invalid_field_value, field "name")');
    });
  });

  describe('revokeKey', () => {
    it('sends DELETE /v1/api-keys/{id} with {"reason"} and accepts 204 No Content', async () => {
      // Prepare
      h.factify.intercept({ path: `/v1/api-keys/${KEY_ID}`, method: 'DELETE' }).reply(204, '');

      // Act
      const result = await client.revokeKey(CREDENTIAL, KEY_ID, 'rotated');

      // Assess
      expect(result).toBeUndefined();
      const [request] = h.requests();
      expect(h.requests()).toHaveLength(1);
      expect(request?.method).toBe('DELETE');
      expect(request?.path).toBe(`/v1/api-keys/${KEY_ID}`);
      expect(request?.searchParams).toEqual({});
      expect(request?.headers).toMatchObject({ 'content-type': 'application/json' });
      expect(JSON.parse(String(request?.body))).toEqual({ reason: 'rotated' });
      expectAuthenticatedAsCurrentKey();
    });

    it('encodes the key id so it stays one path segment', async () => {
      // Prepare
      h.factify.intercept({ path: () => true, method: 'DELETE' }).reply(204, '');

      // Act
      await client.revokeKey(CREDENTIAL, 'key_a/../../organization?x=1', 'rotated');

      // Assess
      expect(h.requests()[0]?.path).toBe('/v1/api-keys/key_a%2F..%2F..%2Forganization%3Fx%3D1');
    });

    it('retries a 5xx: revoking twice is harmless', async () => {
      // Prepare
      h.factify.intercept({ path: `/v1/api-keys/${KEY_ID}`, method: 'DELETE' }).reply(500, '');
      h.factify.intercept({ path: `/v1/api-keys/${KEY_ID}`, method: 'DELETE' }).reply(204, '');

      // Act
      await client.revokeKey(CREDENTIAL, KEY_ID, 'rotated');

      // Assess
      expect(h.requests().map((request) => request.method)).toEqual(['DELETE', 'DELETE']);
      expect(h.requests().map((request) => request.body)).toEqual([
        JSON.stringify({ reason: 'rotated' }),
        JSON.stringify({ reason: 'rotated' }),
      ]);
    });

    it('reports 404 for an unknown key as FactifyRequestError naming the key', async () => {
      // Prepare
      const body = { type: 'about:blank', title: 'Not Found', status: 404, detail: 'API key not found.' };
      h.factify
        .intercept({ path: `/v1/api-keys/${KEY_ID}`, method: 'DELETE' })
        .reply(404, JSON.stringify(body));

      // Act
      const error = await rejection(client.revokeKey(CREDENTIAL, KEY_ID, 'rotated'));

      // Assess
      expect(error).toBeInstanceOf(FactifyRequestError);
      expect(error).toMatchObject({ status: 404, factifyCode: undefined });
      expect((error as Error).message).toContain(`revoke API key ${KEY_ID}`);
      expect((error as Error).message).toContain('(HTTP 404: no documented error code)');
    });

    it('gives up after repeated 5xx with FactifyUnavailableError', async () => {
      // Prepare
      h.factify
        .intercept({ path: `/v1/api-keys/${KEY_ID}`, method: 'DELETE' })
        .reply(503, '')
        .persist();

      // Act
      const error = await rejection(client.revokeKey(CREDENTIAL, KEY_ID, 'rotated'));

      // Assess
      expect(error).toBeInstanceOf(FactifyUnavailableError);
      expect(h.requests()).toHaveLength(4);
    });
  });

  describe('secrets', () => {
    it('a whole rotation against a flaky Factify never prints either key', async () => {
      // Prepare
      h.factify
        .intercept({ path: '/v1/organization', method: 'GET' })
        .reply(429, JSON.stringify({ retry_after: 1 }));
      h.factify
        .intercept({ path: '/v1/organization', method: 'GET' })
        .reply(200, JSON.stringify({ id: ORG_ID }));
      h.factify.intercept({ path: LIST_PATH, method: 'GET' }).replyWithError(networkError('ECONNRESET'));
      h.factify
        .intercept({ path: LIST_PATH, method: 'GET' })
        .reply(200, JSON.stringify({ api_keys: [keyJson()] }));
      h.factify
        .intercept({ path: '/v1/api-keys', method: 'POST' })
        .replyWithError(networkError('ECONNREFUSED'));
      h.factify
        .intercept({ path: '/v1/api-keys', method: 'POST' })
        .reply(201, JSON.stringify(keyJson({ id: OTHER_KEY_ID, key: NEW_KEY })));
      h.factify
        .intercept({ path: `/v1/api-keys/${KEY_ID}`, method: 'DELETE' })
        .reply(502, `echo ${CURRENT_KEY}`);
      h.factify
        .intercept({ path: `/v1/api-keys/${KEY_ID}`, method: 'DELETE' })
        .reply(400, JSON.stringify({ detail: `key ${NEW_KEY} may not revoke ${CURRENT_KEY}` }));

      // Act
      await client.getOrganization(CREDENTIAL);
      await client.listKeys(CREDENTIAL);
      const created = await client.createKey(CREDENTIAL, 'rotation-1');
      const error = await rejection(client.revokeKey(CREDENTIAL, KEY_ID, 'rotated'));

      // Assess
      expect(created.secret.reveal()).toBe(NEW_KEY);
      expect(error).toBeInstanceOf(FactifyRequestError);
      const printed = [(error as Error).message, ...h.output()].join('\n');
      expect(h.output().length).toBeGreaterThanOrEqual(4);
      expectNoSecrets(printed, [CURRENT_KEY]);
      expectNoSecrets(printed, [NEW_KEY]);
    });
  });
});
