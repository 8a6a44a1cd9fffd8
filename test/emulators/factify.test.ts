// The Factify simulator, exercised over real HTTP against the documented /v1 behaviour (factify-api.md).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Dispatcher, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectNoSecrets } from '../support/no-secrets.js';
import {
  type ApiKeyJson,
  type FactifySimulator,
  type FactifySimulatorOptions,
  type SeededKey,
  startFactifySimulator,
} from './factify.js';

const run = promisify(execFile);

type Json = Record<string, unknown>;
type CreatedKey = ApiKeyJson & { key: string };

const TYPEID = '[0-9a-hjkmnp-tv-z]{26}';
const ORG_ID = new RegExp(`^org_${TYPEID}$`);
const KEY_ID = new RegExp(`^key_${TYPEID}$`);
const SECRET = new RegExp(`^ffy_test_(${TYPEID})[0-9A-Za-z]{43}$`);
const DOCUMENTED_BAD_REQUEST = {
  type: 'about:blank',
  title: 'Bad Request',
  status: 400,
  detail: 'Request body is malformed or missing required fields.',
};
const START = Date.parse('2026-11-26T12:00:00.000Z');

/** A controllable clock, so that expiry, propagation and rate windows need no real waiting. */
let now = START;
const clock = (): number => now;

const running: FactifySimulator[] = [];
let sim: FactifySimulator;
let orgId: string;
let admin: SeededKey;

/** Replaces the simulator of the current test: one organization, one admin key. */
async function start(options: FactifySimulatorOptions = {}): Promise<void> {
  sim = await startFactifySimulator({ clock, ...options });
  running.push(sim);
  orgId = sim.createOrganization('Acme').id;
  admin = sim.seedKey(orgId, { name: 'admin' });
}

beforeEach(async () => {
  now = START;
  await start();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((simulator) => simulator.close()));
});

interface CallOptions {
  key?: string;
  /** Serialised as JSON unless it is a string, which is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
}

interface Answer<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: T;
}

async function call<T = Json>(
  method: Dispatcher.HttpMethod,
  path: string,
  options: CallOptions = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  const response = await request(`${sim.url}${path}`, { method, headers, body });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    text,
    body: (text === '' ? undefined : JSON.parse(text)) as T,
  };
}

const createKey = (key: string, body: unknown = { name: 'rotation' }) =>
  call<CreatedKey>('POST', '/api-keys', { key, body });

const listKeys = (key: string, query = '') =>
  call<{ api_keys: ApiKeyJson[] }>('GET', `/api-keys${query}`, { key });

describe('identifier and secret formats', () => {
  it('issues typed ids and 78-character ffy_test_ secrets whose UUID segment is not the key id', async () => {
    const created = await createKey(admin.key);

    expect(orgId).toMatch(ORG_ID);
    expect(created.body.id).toMatch(KEY_ID);
    expect(created.body.key).toHaveLength(78);
    const segment = SECRET.exec(created.body.key)?.[1];
    expect(segment).toBeDefined();
    expect(segment).not.toBe(created.body.id.slice('key_'.length));
    expect(created.body.prefix).toBe(`${created.body.key.slice(0, 16)}...`);
    expect(admin.key).toMatch(SECRET);
    expect(admin.prefix).toBe(`${admin.key.slice(0, 16)}...`);
  });

  it('gives keys created at the same time the same prefix, so a prefix never identifies a key', async () => {
    const first = await createKey(admin.key);
    const second = await createKey(admin.key);

    expect(second.body.prefix).toBe(first.body.prefix);
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.body.key).not.toBe(first.body.key);
  });
});

describe('GET /v1/organization and GET /v1/me', () => {
  it('answers the organization of any active key, admin or not', async () => {
    const member = sim.seedKey(orgId, { admin: false });
    const expected = { id: orgId, name: 'Acme', created_at: new Date(START).toISOString() };

    expect(await call('GET', '/organization', { key: admin.key })).toMatchObject({
      status: 200,
      body: expected,
    });
    expect(await call('GET', '/organization', { key: member.key })).toMatchObject({
      status: 200,
      body: expected,
    });
  });

  it('refuses /v1/me to API-key callers with 403', async () => {
    const answer = await call('GET', '/me', { key: admin.key });

    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ status: 403, code: 'insufficient_permissions' });
  });

  it('answers 404 for paths outside the API', async () => {
    expect((await call('GET', '/documents', { key: admin.key })).status).toBe(404);
    expect((await call('PUT', '/api-keys', { key: admin.key })).status).toBe(404);
  });
});

describe('authentication', () => {
  it.each([
    ['no Authorization header', {}],
    ['a non-Bearer scheme', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }],
  ])('answers 401 missing_api_key for %s', async (_, options: CallOptions) => {
    const answer = await call('GET', '/organization', options);

    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ title: 'Unauthorized', status: 401, code: 'missing_api_key' });
  });

  it('answers 401 invalid_api_key for an unknown key, including a live key sent to the sandbox', async () => {
    const live = admin.key.replace('ffy_test_', 'ffy_live_');

    for (const key of ['ffy_test_unknown', live]) {
      const answer = await call('GET', '/organization', { key });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ code: 'invalid_api_key' });
    }
  });

  it('answers 401 invalid_api_key for a revoked key', async () => {
    const old = sim.seedKey(orgId);
    await call('DELETE', `/api-keys/${old.id}`, { key: admin.key });

    const answer = await call('GET', '/organization', { key: old.key });

    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'invalid_api_key' });
  });

  it('answers 401 expired_api_key once a key passes its expiry', async () => {
    const expiring = sim.seedKey(orgId, { expiresAt: new Date(START + 60_000) });
    expect((await call('GET', '/organization', { key: expiring.key })).status).toBe(200);

    now = START + 60_000;
    const answer = await call('GET', '/organization', { key: expiring.key });

    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'expired_api_key' });
  });

  it('refuses the admin endpoints to a key without the admin role, with 403 insufficient_permissions', async () => {
    const member = sim.seedKey(orgId, { admin: false });

    const answers = [
      await listKeys(member.key),
      await createKey(member.key),
      await call('DELETE', `/api-keys/${admin.id}`, { key: member.key }),
    ];

    for (const answer of answers) {
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ code: 'insufficient_permissions' });
    }
    expect(sim.keys(orgId)).toHaveLength(2);
  });

  it('lets a test withdraw and grant the admin role', async () => {
    sim.setKeyAdmin(admin.id, false);
    expect((await listKeys(admin.key)).status).toBe(403);
    expect(sim.keys(orgId)[0]?.admin).toBe(false);

    sim.setKeyAdmin(admin.id, true);
    expect((await listKeys(admin.key)).status).toBe(200);
  });

  it('gives keys created through the API the admin role unless configured otherwise', async () => {
    const granted = await createKey(admin.key);
    expect((await listKeys(granted.body.key)).status).toBe(200);

    await start({ newKeysAreAdmin: false });
    const plain = await createKey(admin.key);
    expect((await listKeys(plain.body.key)).status).toBe(403);
    expect((await call('GET', '/organization', { key: plain.body.key })).status).toBe(200);
  });
});

describe('GET /v1/api-keys', () => {
  it("lists the caller's organization's keys, never their secrets, expired ones included", async () => {
    const expired = sim.seedKey(orgId, { name: 'expired', expiresAt: new Date(START - 1) });
    const other = sim.createOrganization('Other').id;
    sim.seedKey(other);

    const answer = await listKeys(admin.key);

    expect(answer.status).toBe(200);
    expect(answer.body.api_keys.map((key) => key.id)).toEqual([admin.id, expired.id]);
    expect(answer.body.api_keys[1]).toEqual({
      id: expired.id,
      org_id: orgId,
      name: 'expired',
      prefix: expired.prefix,
      created_at: new Date(START).toISOString(),
      updated_at: new Date(START).toISOString(),
      is_active: false,
      expires_at: new Date(START - 1).toISOString(),
      revoked_at: null,
      revoked_by: null,
      revoked_comment: null,
    });
    expectNoSecrets(answer.text, [admin.key, expired.key]);
  });

  it('omits revoked keys unless include_revoked=true', async () => {
    const old = sim.seedKey(orgId);
    await call('DELETE', `/api-keys/${old.id}`, { key: admin.key });

    const active = await listKeys(admin.key);
    const explicit = await listKeys(admin.key, '?include_revoked=false');
    const all = await listKeys(admin.key, '?include_revoked=true');

    expect(active.body.api_keys.map((key) => key.id)).toEqual([admin.id]);
    expect(explicit.body.api_keys.map((key) => key.id)).toEqual([admin.id]);
    expect(all.body.api_keys.map((key) => key.id)).toEqual([admin.id, old.id]);
  });

  it('with the endless-pages fault, answers every page with new revoked keys and a new cursor, until cleared', async () => {
    sim.inject({ method: 'GET', path: '/v1/api-keys', kind: 'endless-pages', keysPerPage: 3 });

    const pages = [];
    for (let page = 0, query = ''; page < 5; page++) {
      const answer = await call<{ api_keys: ApiKeyJson[]; pagination: { next_page_token: string } }>(
        'GET',
        `/api-keys${query}`,
        { key: admin.key },
      );
      pages.push(answer);
      query = `?page_token=${answer.body.pagination.next_page_token}`;
    }
    sim.clearFaults();
    const after = await listKeys(admin.key);

    expect(pages.map((page) => page.status)).toEqual([200, 200, 200, 200, 200]);
    const cursors = pages.map((page) => page.body.pagination.next_page_token);
    expect(new Set(cursors).size).toBe(5);
    const keys = pages.flatMap((page) => page.body.api_keys);
    expect(keys).toHaveLength(15);
    expect(new Set(keys.map((key) => key.id)).size).toBe(15);
    for (const key of keys) {
      expect(key).toMatchObject({ org_id: orgId, is_active: false, id: expect.stringMatching(KEY_ID) });
    }
    expect(after.body.api_keys.map((key) => key.id)).toEqual([admin.id]);
  });

  it('rejects a non-boolean include_revoked as a validation failure', async () => {
    const answer = await listKeys(admin.key, '?include_revoked=yes');

    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: 'invalid_field_value', param: 'include_revoked' });
  });

  it('agrees with what keys() returns to tests, which adds the role', async () => {
    const listed = await listKeys(admin.key);

    expect(sim.keys(orgId)).toEqual(listed.body.api_keys.map((key) => ({ ...key, admin: true })));
  });
});

describe('POST /v1/api-keys', () => {
  it('creates a usable key and returns it flat with its secret, which only this response carries', async () => {
    const expiresAt = new Date(START + 86_400_000).toISOString();

    const created = await createKey(admin.key, { name: 'rotation-1', expires_at: expiresAt });

    expect(created.status).toBe(201);
    expect(created.headers['content-type']).toBe('application/json');
    expect(created.body).toEqual({
      id: expect.stringMatching(KEY_ID),
      org_id: orgId,
      name: 'rotation-1',
      prefix: expect.stringMatching(/^ffy_test_.{7}\.\.\.$/),
      created_at: new Date(START).toISOString(),
      updated_at: new Date(START).toISOString(),
      is_active: true,
      expires_at: expiresAt,
      revoked_at: null,
      revoked_by: null,
      revoked_comment: null,
      key: expect.stringMatching(SECRET),
    });
    const { key, ...listed } = created.body;
    expect((await listKeys(admin.key)).body.api_keys[1]).toEqual(listed);
    expect((await call('GET', '/organization', { key })).body).toMatchObject({ id: orgId });
  });

  it('accepts an explicit null expiry as never expiring and can answer 200 instead of 201', async () => {
    await start({ createStatus: 200 });

    const created = await createKey(admin.key, { name: 'forever', expires_at: null });

    expect(created.status).toBe(200);
    expect(created.body.expires_at).toBeNull();
  });

  it.each([
    ['a missing name', {}, 'missing_required_field', 'name'],
    ['an empty name', { name: '' }, 'invalid_field_value', 'name'],
    ['a 64-character name', { name: 'n'.repeat(64) }, 'invalid_field_value', 'name'],
    ['a non-string name', { name: 7 }, 'invalid_field_value', 'name'],
    [
      'an expiry in the past',
      { name: 'x', expires_at: '2026-11-26T11:59:59Z' },
      'invalid_field_value',
      'expires_at',
    ],
    [
      'an expiry over a year ahead',
      { name: 'x', expires_at: '2027-11-26T12:00:01Z' },
      'invalid_field_value',
      'expires_at',
    ],
    ['a non-RFC 3339 expiry', { name: 'x', expires_at: 'next week' }, 'invalid_field_value', 'expires_at'],
  ])('answers 422 to %s', async (_, body, code, param) => {
    const answer = await createKey(admin.key, body);

    expect(answer.status).toBe(422);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({
      type: 'about:blank',
      title: 'Unprocessable Entity',
      status: 422,
      code,
      param,
    });
    expect(sim.keys(orgId)).toHaveLength(1);
  });

  it('accepts a 63-character name and an expiry exactly a year ahead', async () => {
    const answer = await createKey(admin.key, {
      name: 'n'.repeat(63),
      expires_at: new Date(START + 8760 * 3_600_000).toISOString(),
    });

    expect(answer.status).toBe(201);
  });

  it('can answer validation failures with 400 instead', async () => {
    await start({ validationStatus: 400 });

    const answer = await createKey(admin.key, { name: '' });

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ title: 'Bad Request', code: 'invalid_field_value' });
  });

  it.each([
    ['malformed JSON', '{"name":'],
    ['no body', undefined],
    ['a JSON array', '[]'],
  ])('answers %s with the documented 400 body', async (_, body) => {
    const answer = await call('POST', '/api-keys', { key: admin.key, body });

    expect(answer.status).toBe(400);
    expect(answer.body).toStrictEqual(DOCUMENTED_BAD_REQUEST);
  });

  describe('the limit of 5 active keys', () => {
    beforeEach(() => {
      for (let i = 0; i < 3; i++) sim.seedKey(orgId); // with the admin key: 4 active, room for one more
    });

    it('refuses a sixth active key with 409 by default, saying why', async () => {
      expect((await createKey(admin.key)).status).toBe(201);

      const refused = await call('POST', '/api-keys', { key: admin.key, body: { name: 'sixth' } });

      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        code: 'api_key_limit_reached',
        detail: expect.stringContaining('limit of 5 active API keys'),
      });
      expect(sim.keys(orgId)).toHaveLength(5);
    });

    it.each([400, 403, 422, 429])('can refuse with %i instead', async (status) => {
      sim.seedKey(orgId);
      sim.setCreateLimitStatus(status);

      expect((await createKey(admin.key)).status).toBe(status);
    });

    it('does not count revoked keys', async () => {
      const fifth = sim.seedKey(orgId);
      await call('DELETE', `/api-keys/${fifth.id}`, { key: admin.key });

      expect((await createKey(admin.key)).status).toBe(201);
    });

    it('does not count expired keys by default, and can be told to', async () => {
      sim.seedKey(orgId, { expiresAt: new Date(START - 1) });
      expect((await createKey(admin.key)).status).toBe(201);

      await start({ limitCountsExpiredKeys: true });
      for (let i = 0; i < 4; i++) sim.seedKey(orgId, { expiresAt: new Date(START - 1) });
      expect((await createKey(admin.key)).status).toBe(409);
    });

    it('also binds seeding, which cannot create an impossible state', () => {
      sim.seedKey(orgId);

      expect(() => sim.seedKey(orgId)).toThrow(/maximum of 5 active keys/);
    });
  });
});

describe('DELETE /v1/api-keys/{api_key_id}', () => {
  it('revokes with 204 No Content, recording who revoked it and why', async () => {
    const old = sim.seedKey(orgId, { name: 'old' });
    now = START + 1000;

    const answer = await call('DELETE', `/api-keys/${old.id}`, {
      key: admin.key,
      body: { reason: 'rotated' },
    });

    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    expect(answer.headers['content-type']).toBeUndefined();
    expect(sim.keys(orgId, { includeRevoked: true })[1]).toMatchObject({
      id: old.id,
      is_active: false,
      updated_at: new Date(START + 1000).toISOString(),
      revoked_at: new Date(START + 1000).toISOString(),
      revoked_by: admin.id,
      revoked_comment: 'rotated',
    });
    expect(sim.revocations(old.id)).toBe(1);
    expect(sim.deleteCalls(old.id)).toBe(1);
  });

  it('accepts an omitted or empty body, leaving no comment', async () => {
    const first = sim.seedKey(orgId);
    const second = sim.seedKey(orgId);

    expect((await call('DELETE', `/api-keys/${first.id}`, { key: admin.key })).status).toBe(204);
    expect((await call('DELETE', `/api-keys/${second.id}`, { key: admin.key, body: {} })).status).toBe(204);
    expect(sim.keys(orgId, { includeRevoked: true }).map((key) => key.revoked_comment)).toEqual([
      null,
      null,
      null,
    ]);
  });

  it('lets a key revoke itself', async () => {
    expect((await call('DELETE', `/api-keys/${admin.id}`, { key: admin.key })).status).toBe(204);
    expect((await call('GET', '/organization', { key: admin.key })).status).toBe(401);
  });

  it('answers malformed JSON with exactly the documented 400 body', async () => {
    const old = sim.seedKey(orgId);

    const answer = await call('DELETE', `/api-keys/${old.id}`, { key: admin.key, body: '{reason:' });

    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toStrictEqual(DOCUMENTED_BAD_REQUEST);
    expect(sim.revocations(old.id)).toBe(0);
  });

  it.each([
    ['an empty reason', ''],
    ['a 501-character reason', 'r'.repeat(501)],
    ['a non-string reason', 42],
  ])('answers 422 to %s', async (_, reason) => {
    const old = sim.seedKey(orgId);

    const answer = await call('DELETE', `/api-keys/${old.id}`, { key: admin.key, body: { reason } });

    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: 'invalid_field_value', param: 'reason' });
    expect(sim.revocations(old.id)).toBe(0);
  });

  it.each([
    'key_123',
    'key_01H2XCEJQTF2NBREXX3VQJHP41',
    'api_01h2xcejqtf2nbrexx3vqjhp41',
    'key_01h2xcejqtf2nbrexx3vqjhp4u',
  ])('answers 400 to the malformed id %s', async (id) => {
    const answer = await call('DELETE', `/api-keys/${id}`, { key: admin.key });

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'invalid_field_value', param: 'api_key_id' });
    expect(sim.deleteCalls(id)).toBe(1);
  });

  it("answers 404 for an unknown id and for another organization's key, which stays active", async () => {
    const foreign = sim.seedKey(sim.createOrganization('Other').id);

    const unknown = await call('DELETE', '/api-keys/key_01h2xcejqtf2nbrexx3vqjhp41', { key: admin.key });
    const theirs = await call('DELETE', `/api-keys/${foreign.id}`, { key: admin.key });

    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'resource_not_found' });
    expect(theirs.status).toBe(404);
    expect(sim.revocations(foreign.id)).toBe(0);
  });

  it.each([
    [204, undefined],
    [400, 'precondition_failed'],
    [404, 'resource_not_found'],
    [409, 'precondition_failed'],
  ] as const)('answers %i to revoking an already-revoked key when so configured', async (status, code) => {
    const old = sim.seedKey(orgId);
    await call('DELETE', `/api-keys/${old.id}`, { key: admin.key, body: { reason: 'first' } });
    sim.setRevokeAlreadyRevokedStatus(status);

    const again = await call('DELETE', `/api-keys/${old.id}`, { key: admin.key, body: { reason: 'second' } });

    expect(again.status).toBe(status);
    if (code !== undefined) expect(again.body).toMatchObject({ code });
    expect(sim.revocations(old.id)).toBe(1);
    expect(sim.deleteCalls(old.id)).toBe(2);
    expect(sim.keys(orgId, { includeRevoked: true })[1]?.revoked_comment).toBe('first');
  });

  it('treats an already-revoked key as done (204) by default', async () => {
    const old = sim.seedKey(orgId);
    await call('DELETE', `/api-keys/${old.id}`, { key: admin.key });

    expect((await call('DELETE', `/api-keys/${old.id}`, { key: admin.key })).status).toBe(204);
  });
});

describe('error formats', () => {
  it('renders RFC 9457 problem details by default', async () => {
    const answer = await call('GET', '/organization', { key: 'ffy_test_nope' });

    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toEqual({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: expect.any(String),
      code: 'invalid_api_key',
    });
  });

  it("renders the guide's {error:{type, code, message, param}} shape", async () => {
    await start({ errorFormat: 'guide' });

    const unauthorized = await call('GET', '/organization', { key: 'ffy_test_nope' });
    const invalid = await createKey(admin.key, { name: '' });

    expect(unauthorized.headers['content-type']).toBe('application/json');
    expect(unauthorized.body).toEqual({
      error: { type: 'authentication_error', code: 'invalid_api_key', message: expect.any(String) },
    });
    expect(invalid.body).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'invalid_field_value',
        message: expect.any(String),
        param: 'name',
      },
    });
  });

  it('renders the v1beta ConnectRPC {code, message, details} shape', async () => {
    await start({ errorFormat: 'connect' });

    const answer = await call('GET', '/organization', { key: 'ffy_test_nope' });

    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.body).toEqual({
      code: 'unauthenticated',
      message: expect.any(String),
      details: [
        { reason: 'invalid_api_key', request_id: expect.stringMatching(new RegExp(`^req_${TYPEID}$`)) },
      ],
    });
  });

  it.each([
    [
      'guide',
      {
        error: {
          type: 'invalid_request_error',
          code: 'invalid_request_body',
          message: DOCUMENTED_BAD_REQUEST.detail,
        },
      },
    ],
    [
      'connect',
      {
        code: 'invalid_argument',
        message: DOCUMENTED_BAD_REQUEST.detail,
        details: [expect.objectContaining({ reason: 'invalid_request_body' })],
      },
    ],
  ] as const)('carries the malformed-body error in the %s shape too', async (errorFormat, expected) => {
    await start({ errorFormat });

    expect((await createKey(admin.key, '{')).body).toEqual(expected);
  });
});

describe('rate limiting', () => {
  const tiny = { read: { limit: 2, windowMs: 1000 }, write: { limit: 1, windowMs: 1000 } };

  it('sends X-RateLimit-* headers on every response, with the documented defaults', async () => {
    const ok = await call('GET', '/organization', { key: admin.key });
    const unauthorized = await call('GET', '/organization');
    const created = await createKey(admin.key);

    expect(ok.headers).toMatchObject({
      'x-ratelimit-limit': '1000',
      'x-ratelimit-remaining': '999',
      'x-ratelimit-reset': String(Math.ceil((START + 60_000) / 1000)),
    });
    expect(unauthorized.headers['x-ratelimit-limit']).toBe('1000');
    expect(created.headers).toMatchObject({ 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '99' });
  });

  it("answers 429 with the guide's retry_after once the budget is spent, then recovers when the window ends", async () => {
    await start({ rateLimits: tiny, errorFormat: 'guide' });
    await call('GET', '/organization', { key: admin.key });
    await call('GET', '/organization', { key: admin.key });
    now = START + 400;

    const limited = await call('GET', '/organization', { key: admin.key });

    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      error: {
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
        message: 'Rate limit exceeded. Please retry after 1 seconds.',
        retry_after: 1,
      },
    });
    expect(limited.headers).toMatchObject({
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String((START + 1000) / 1000),
    });
    expect(limited.headers['retry-after']).toBeUndefined();

    now = START + 1000;
    expect((await call('GET', '/organization', { key: admin.key })).status).toBe(200);
  });

  it('rounds retry_after up to whole seconds and can add a Retry-After header', async () => {
    await start({ rateLimits: { write: { limit: 1, windowMs: 60_000 } }, retryAfterHeader: true });
    await createKey(admin.key);
    now = START + 27_500;

    const limited = await createKey(admin.key);

    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ status: 429, code: 'rate_limit_exceeded', retry_after: 33 });
    expect(limited.headers['retry-after']).toBe('33');
  });

  it('keeps separate budgets for reads and writes, DELETE drawing on writes by default', async () => {
    await start({ rateLimits: tiny });
    const old = sim.seedKey(orgId);

    expect((await createKey(admin.key)).status).toBe(201);
    expect((await call('DELETE', `/api-keys/${old.id}`, { key: admin.key })).status).toBe(429);
    expect((await listKeys(admin.key)).status).toBe(200);
  });

  it('can charge DELETE to the read budget', async () => {
    await start({ rateLimits: tiny, deleteRateClass: 'read' });
    const old = sim.seedKey(orgId);
    await createKey(admin.key);

    const revoked = await call('DELETE', `/api-keys/${old.id}`, { key: admin.key });

    expect(revoked.status).toBe(204);
    expect(revoked.headers['x-ratelimit-limit']).toBe('2');
  });

  it('limits per key by default, and can share one budget across every caller', async () => {
    await start({ rateLimits: tiny });
    const otherOrg = sim.createOrganization().id;
    const other = sim.seedKey(otherOrg);
    await createKey(admin.key);
    expect((await createKey(other.key)).status).toBe(201);

    await start({ rateLimits: tiny, rateLimitScope: 'global' });
    const stranger = sim.seedKey(sim.createOrganization().id);
    await createKey(admin.key);
    expect((await createKey(stranger.key)).status).toBe(429);
  });

  it('charges requests that fail authentication to one anonymous budget', async () => {
    await start({ rateLimits: tiny });
    await call('GET', '/organization');
    await call('GET', '/organization', { key: 'ffy_test_nope' });

    expect((await call('GET', '/organization')).status).toBe(429);
    expect((await call('GET', '/organization', { key: admin.key })).status).toBe(200);
  });

  it('rejects nonsensical limits, naming each', async () => {
    await expect(startFactifySimulator({ rateLimits: { read: { limit: 0, windowMs: 0 } } })).rejects.toThrow(
      /rateLimits\.read\.limit must be a positive integer, got 0; rateLimits\.read\.windowMs must be positive/,
    );
  });
});

describe('key propagation delay', () => {
  it('refuses a new key as invalid for its first N requests; seeded keys are unaffected', async () => {
    sim.setPropagationDelay({ requests: 2 });
    const created = await createKey(admin.key);
    const seeded = sim.seedKey(orgId);

    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await call('GET', '/organization', { key: created.body.key })).status);
    }

    expect(statuses).toEqual([401, 401, 200]);
    expect(sim.requests.at(-2)).toMatchObject({ status: 401, callerKeyId: created.body.id });
    expect((await call('GET', '/organization', { key: seeded.key })).status).toBe(200);
  });

  it('refuses a new key as invalid for T milliseconds', async () => {
    await start({ propagationDelay: { ms: 5000 } });
    const created = await createKey(admin.key);

    now = START + 4999;
    const early = await call('GET', '/organization', { key: created.body.key });
    now = START + 5000;
    const late = await call('GET', '/organization', { key: created.body.key });

    expect(early.status).toBe(401);
    expect(early.body).toMatchObject({ code: 'invalid_api_key' });
    expect(late.status).toBe(200);
  });

  it('applies only to keys created after it is set', async () => {
    const before = await createKey(admin.key);
    sim.setPropagationDelay({ ms: 5000 });
    const after = await createKey(admin.key);
    sim.setPropagationDelay(null);

    expect((await call('GET', '/organization', { key: before.body.key })).status).toBe(200);
    expect((await call('GET', '/organization', { key: after.body.key })).status).toBe(401);
    expect(() => sim.setPropagationDelay({ requests: -1 })).toThrow(RangeError);
  });
});

describe('the staff-only organization override header', () => {
  const override = { 'x-factify-organization-id': 'org_01h2xcejqtf2nbrexx3vqjhp41' };

  it('refuses it with 403, without effect, and records a violation', async () => {
    const answer = await call('POST', '/api-keys', {
      key: admin.key,
      body: { name: 'acting-as' },
      headers: override,
    });

    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'insufficient_permissions' });
    expect(sim.keys(orgId).map((key) => key.name)).not.toContain('acting-as');
    expect(sim.violations).toEqual([
      { kind: 'organization-override-header', method: 'POST', path: '/v1/api-keys', callerKeyId: admin.id },
    ]);
  });

  it('records it even when authentication fails first', async () => {
    const answer = await call('GET', '/organization', { headers: override });

    expect(answer.status).toBe(401);
    expect(sim.violations).toHaveLength(1);
  });

  it('records nothing for requests without it', async () => {
    await createKey(admin.key);

    expect(sim.violations).toEqual([]);
  });
});

describe('fault injection', () => {
  it('answers an injected status for the next `times` matching requests only', async () => {
    sim.inject({ method: 'GET', path: '/v1/organization', kind: 'status', status: 503, times: 2 });

    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await call('GET', '/organization', { key: admin.key })).status);
    }
    const other = await listKeys(admin.key);

    expect(statuses).toEqual([503, 503, 200]);
    expect(other.status).toBe(200);
    expect(sim.requests.map((entry) => entry.fault)).toEqual(['status', 'status', undefined, undefined]);
  });

  it('generates an error body in the chosen format, or sends the given body and headers verbatim', async () => {
    sim.inject({ method: 'GET', path: '/v1/organization', kind: 'status', status: 500 });
    sim.inject({ method: 'GET', path: '/v1/organization', kind: 'status', status: 503, format: 'connect' });
    sim.inject({
      method: 'GET',
      path: '/v1/organization',
      kind: 'status',
      status: 502,
      body: '<html>Bad Gateway</html>',
    });
    sim.inject({
      method: 'GET',
      path: '/v1/organization',
      kind: 'status',
      status: 200,
      body: { unexpected: true },
      headers: { 'x-served-by': 'cache' },
    });

    const problem = await call('GET', '/organization', { key: admin.key });
    const connect = await call('GET', '/organization', { key: admin.key });
    const html = await request(`${sim.url}/organization`);
    const odd = await call('GET', '/organization', { key: admin.key });

    expect(problem.body).toMatchObject({
      title: 'Internal Server Error',
      status: 500,
      code: 'internal_error',
    });
    expect(connect.body).toMatchObject({ code: 'unavailable', details: [{ reason: 'service_unavailable' }] });
    expect(html.statusCode).toBe(502);
    expect(html.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(await html.body.text()).toBe('<html>Bad Gateway</html>');
    expect(odd).toMatchObject({
      status: 200,
      body: { unexpected: true },
      headers: { 'x-served-by': 'cache' },
    });
  });

  it('injects a 429 carrying retry_after, and Retry-After when that header is on', async () => {
    await start({ retryAfterHeader: true, errorFormat: 'guide' });
    sim.inject({ method: 'POST', path: '/v1/api-keys', kind: 'status', status: 429, retryAfter: 7 });

    const limited = await createKey(admin.key);

    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: { type: 'rate_limit_error', retry_after: 7 } });
    expect(limited.headers['retry-after']).toBe('7');
    expect(sim.keys(orgId)).toHaveLength(1);
  });

  it('matches paths by pattern and bodies by predicate', async () => {
    sim.inject({
      method: 'POST',
      path: /^\/v1\/api-keys$/,
      when: (body) => (body as { name?: string }).name === 'doomed',
      kind: 'status',
      status: 500,
    });

    expect((await createKey(admin.key, { name: 'fine' })).status).toBe(201);
    expect((await createKey(admin.key, { name: 'doomed' })).status).toBe(500);
    expect(sim.keys(orgId).map((key) => key.name)).toEqual(['admin', 'fine']);
  });

  it('acts before authentication and without charging the rate limit', async () => {
    await start({ rateLimits: { read: { limit: 1, windowMs: 1000 } } });
    sim.inject({ method: 'GET', path: '/v1/organization', kind: 'status', status: 503, times: 2 });

    expect((await call('GET', '/organization')).status).toBe(503);
    expect((await call('GET', '/organization', { key: admin.key })).status).toBe(503);
    expect((await call('GET', '/organization', { key: admin.key })).status).toBe(200);
  });

  it('can be cleared before firing', async () => {
    sim.inject({ method: 'GET', path: '/v1/api-keys', kind: 'status', status: 503 });
    sim.clearFaults();

    expect((await listKeys(admin.key)).status).toBe(200);
  });

  it('rejects a fault that could never fire', () => {
    expect(() => sim.inject({ method: 'GET', path: '/v1/me', kind: 'status', status: 99, times: 0 })).toThrow(
      /times must be a positive integer, got 0; status must be an HTTP status from 200 to 599, got 99/,
    );
  });

  it('hangs without effect until close(), which fails the pending request', async () => {
    sim.inject({ method: 'POST', path: '/v1/api-keys', kind: 'hang' });

    const pending = createKey(admin.key);
    await expect.poll(() => sim.requests.length).toBe(1);

    expect(sim.requests[0]).toMatchObject({
      method: 'POST',
      status: null,
      fault: 'hang',
      callerKeyId: admin.id,
    });
    expect(sim.keys(orgId)).toHaveLength(1);
    await sim.close();
    await expect(pending).rejects.toThrow();
  });

  it('resets the connection without effect', async () => {
    sim.inject({ method: 'POST', path: '/v1/api-keys', kind: 'reset' });

    await expect(createKey(admin.key)).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNRESET|UND_ERR_SOCKET/),
    });
    expect(sim.keys(orgId)).toHaveLength(1);
    expect(sim.requests[0]).toMatchObject({ status: null, fault: 'reset' });
  });

  it('apply-then-status creates the key, calls onApplied before answering, then answers 500', async () => {
    const events: string[] = [];
    sim.inject({
      method: 'POST',
      path: '/v1/api-keys',
      kind: 'apply-then-status',
      onApplied: async ({ method, path, status, keyId }) => {
        events.push(`applied ${method} ${path} ${status} ${sim.keys(orgId).some((key) => key.id === keyId)}`);
        await new Promise((resolve) => setImmediate(resolve));
        events.push('hook finished');
      },
    });

    const answer = await createKey(admin.key, { name: 'half-done' });
    events.push(`answered ${answer.status}`);

    expect(events).toEqual(['applied POST /v1/api-keys 201 true', 'hook finished', 'answered 500']);
    expect(answer.body).toMatchObject({ status: 500, code: 'internal_error' });
    expect(sim.keys(orgId).map((key) => key.name)).toEqual(['admin', 'half-done']);
  });

  it('apply-then-status can answer any status, and reports the revoked key to onApplied', async () => {
    const old = sim.seedKey(orgId);
    const applied: unknown[] = [];
    sim.inject({
      method: 'DELETE',
      path: /^\/v1\/api-keys\//,
      kind: 'apply-then-status',
      status: 504,
      onApplied: (operation) => {
        applied.push(operation);
      },
    });

    const answer = await call('DELETE', `/api-keys/${old.id}`, { key: admin.key });

    expect(answer.status).toBe(504);
    expect(applied).toEqual([
      { method: 'DELETE', path: `/v1/api-keys/${old.id}`, status: 204, keyId: old.id },
    ]);
    expect(sim.revocations(old.id)).toBe(1);
  });

  it('keeps an apply-then fault armed through failed requests', async () => {
    sim.inject({ method: 'POST', path: '/v1/api-keys', kind: 'apply-then-status' });

    expect((await createKey(admin.key, { name: '' })).status).toBe(422);
    expect((await createKey(admin.key)).status).toBe(500);
    expect((await createKey(admin.key)).status).toBe(201);
  });

  it('apply-then-hang creates the key and never answers', async () => {
    let createdId: string | undefined;
    sim.inject({
      method: 'POST',
      path: '/v1/api-keys',
      kind: 'apply-then-hang',
      onApplied: ({ keyId }) => {
        createdId = keyId;
      },
    });

    const pending = createKey(admin.key);
    await expect.poll(() => sim.requests.length).toBe(1);

    expect(sim.requests[0]).toMatchObject({ status: null, fault: 'apply-then-hang' });
    expect(sim.keys(orgId).map((key) => key.id)).toEqual([admin.id, createdId]);
    await sim.close();
    await expect(pending).rejects.toThrow();
  });

  it('apply-then-reset creates the key and drops the connection', async () => {
    sim.inject({ method: 'POST', path: '/v1/api-keys', kind: 'apply-then-reset' });

    await expect(createKey(admin.key)).rejects.toThrow();
    expect(sim.keys(orgId)).toHaveLength(2);
    expect(sim.requests[0]).toMatchObject({ status: null, fault: 'apply-then-reset' });
  });

  it('reports a failing onApplied hook from close() rather than swallowing it', async () => {
    const own = await startFactifySimulator({ clock });
    const key = own.seedKey(own.createOrganization().id).key;
    own.inject({
      method: 'GET',
      path: '/v1/organization',
      kind: 'apply-then-status',
      onApplied: () => {
        throw new Error('hook failed');
      },
    });

    const answer = await request(`${own.url}/organization`, { headers: { authorization: `Bearer ${key}` } });
    await answer.body.dump();

    expect(answer.statusCode).toBe(500);
    await expect(own.close()).rejects.toThrow(AggregateError);
  });
});

describe('test controls', () => {
  const unknownOrg = 'org_01h2xcejqtf2nbrexx3vqjhp41';
  const unknownKey = 'key_01h2xcejqtf2nbrexx3vqjhp41';

  it('reject unknown organizations and keys rather than answer for them', () => {
    expect(() => sim.keys(unknownOrg)).toThrow(`Unknown organization ${unknownOrg}`);
    expect(() => sim.seedKey(unknownOrg)).toThrow(`Unknown organization ${unknownOrg}`);
    expect(() => sim.revocations(unknownKey)).toThrow(`Unknown API key ${unknownKey}`);
    expect(() => sim.setKeyAdmin(unknownKey, false)).toThrow(`Unknown API key ${unknownKey}`);
    expect(sim.deleteCalls(unknownKey)).toBe(0);
  });

  it('reject out-of-range settings', () => {
    expect(() => sim.setCreateLimitStatus(201)).toThrow(RangeError);
    expect(() => sim.setRevokeAlreadyRevokedStatus(200 as 204)).toThrow(RangeError);
  });
});

describe('request log', () => {
  it('records each request with its caller, never the secret, until reset', async () => {
    const created = await createKey(admin.key);
    await listKeys(created.body.key, '?include_revoked=true');
    await call('GET', '/organization', { key: 'ffy_test_nope' });

    expect(sim.requests).toEqual([
      { method: 'POST', path: '/v1/api-keys', query: '', status: 201, orgId, callerKeyId: admin.id },
      {
        method: 'GET',
        path: '/v1/api-keys',
        query: 'include_revoked=true',
        status: 200,
        orgId,
        callerKeyId: created.body.id,
      },
      { method: 'GET', path: '/v1/organization', query: '', status: 401 },
    ]);
    expect(JSON.stringify(sim.requests)).not.toContain('ffy_');

    sim.resetRequests();
    expect(sim.requests).toEqual([]);
  });
});

describe('close()', () => {
  it('drops a hung request and leaves nothing that keeps the process alive', async () => {
    // A child process exits on its own only if close() released every socket and the server itself.
    const script = `
      const { startFactifySimulator } = await import(${JSON.stringify(new URL('./factify.ts', import.meta.url).href)});
      const { request } = await import('undici');
      const sim = await startFactifySimulator();
      const key = sim.seedKey(sim.createOrganization().id).key;
      sim.inject({ method: 'GET', path: '/v1/organization', kind: 'hang' });
      const pending = request(sim.url + '/organization', { headers: { authorization: 'Bearer ' + key } })
        .then(() => 'answered', (error) => 'failed with ' + error.code);
      while (sim.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
      await sim.close();
      console.log(await pending);
    `;

    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 20_000,
    });

    expect(stdout.trim()).toBe('failed with UND_ERR_SOCKET');
  });

  it('can be called more than once', async () => {
    await sim.close();

    await expect(sim.close()).resolves.toBeUndefined();
  });
});

describe('pagination of GET /v1/api-keys (listPageSize)', () => {
  it('pages with an opaque cursor until the last page, and rejects a cursor it never returned', async () => {
    await start({ listPageSize: 2 });
    for (const name of ['a', 'b', 'c', 'd']) sim.seedKey(orgId, { name });

    const first = await call<{ api_keys: ApiKeyJson[]; pagination: { next_page_token?: string } }>(
      'GET',
      '/api-keys',
      { key: admin.key },
    );
    const seen = first.body.api_keys.map((key) => key.name);
    let token = first.body.pagination.next_page_token;
    while (token !== undefined) {
      const page = await call<{ api_keys: ApiKeyJson[]; pagination: { next_page_token?: string } }>(
        'GET',
        `/api-keys?page_token=${token}`,
        { key: admin.key },
      );
      seen.push(...page.body.api_keys.map((key) => key.name));
      token = page.body.pagination.next_page_token;
    }

    expect(seen).toEqual(['admin', 'a', 'b', 'c', 'd']);
    expect((await listKeys(admin.key, '?page_token=!!')).status).toBe(422);
  });
});
