import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseProblem } from '../../lambda/adapters/factify/problem.js';
import { reportedError } from '../../lambda/telemetry/errors.js';
import { redact, redactingInvocation, Sensitive } from '../../lambda/telemetry/redaction.js';
import { runtimeErrorLog } from '../support/runtime-error-log.mjs';
import { captureLogs, ROTATION_TOKEN, startRotation } from './fixture.js';

/**
 * The encodings an echoing service may apply to a value it repeats, which no redaction list can all recognise.
 * Free text from AWS and Factify errors is therefore never printed: these must find nowhere to go.
 */
const ECHO_FORMS: [string, (value: string) => string][] = [
  ['URL-encoded', (value) => encodeURIComponent(value).replaceAll('_', '%5F').replaceAll('-', '%2D')],
  ['base64', (value) => Buffer.from(value).toString('base64')],
  ['HTML-entity', (value) => [...value].map((char) => `&#${char.charCodeAt(0)};`).join('')],
  ['\\x5f-escaped', (value) => value.replaceAll('_', '\\x5f').replaceAll('-', '\\x2d')],
  ['zero-width-split', (value) => [...value].join('\u200b')],
  [
    'full-width',
    (value) => [...value].map((char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0)).join(''),
  ],
];

// The distinctive part of a value, as it would appear in printed text in each form.
function fingerprints(value: string): string[] {
  return ECHO_FORMS.map(([, form]) => form(value)).concat(value);
}

function expectNoEcho(text: string, values: readonly string[]): void {
  const found = values.flatMap((value, index) =>
    fingerprints(value).flatMap((print, form) =>
      text.includes(print) || text.includes(print.slice(4, -4)) ? [`value #${index} form #${form}`] : [],
    ),
  );
  expect(found, 'echoes printed (by position, not value)').toEqual([]);
}

// An AWS SDK service exception as the SDK builds it from an error response that echoes the request.
function awsError(name: string, echo: string): Error {
  return Object.assign(new Error(`Request rejected: ${echo}`), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400, requestId: 'r-1', attempts: 1 },
    Message: echo,
  });
}

describe('the redaction of an invocation', () => {
  it('keeps every value seen in an invocation for its whole length, whatever else is registered', async () => {
    const token = `token-${'T'.repeat(20)}-pinned`;
    await redactingInvocation(async () => {
      new Sensitive(token);
      for (let index = 0; index < 500; index++) new Sensitive(`labelled-version-${index}-value`);
      expect(redact(`echo ${token}`)).toBe('echo [redacted]');
    });
  });

  it("keeps each of two overlapping invocations' values until both end", async () => {
    let release: () => void = () => {};
    const first = redactingInvocation(async () => {
      new Sensitive('first-invocation-value-1');
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    await redactingInvocation(async () => {
      for (let index = 0; index < 200; index++) new Sensitive(`second-invocation-${index}-value`);
    });
    expect(redact('first-invocation-value-1')).toBe('[redacted]');
    release();
    await first;
  });

  it('outside an invocation, forgets the oldest of more than 64 values, and the recently used last', () => {
    new Sensitive('lru-oldest-value-0');
    new Sensitive('lru-kept-value-00');
    for (let index = 0; index < 62; index++) new Sensitive(`lru-filler-value-${index}`);
    // Seen again: it becomes the most recent, so the next value evicts the oldest instead.
    new Sensitive('lru-kept-value-00');
    new Sensitive('lru-newest-value-0');
    expect(redact('lru-oldest-value-0')).toBe('lru-oldest-value-0');
    expect(redact('lru-kept-value-00')).toBe('[redacted]');
    expect(redact('lru-filler-value-0')).toBe('[redacted]');
    expect(redact('lru-newest-value-0')).toBe('[redacted]');
  });

  it('keeps a value that starts as a forgotten one does', () => {
    // Every secret string starts `{"apiKey":`: forgetting one must not forget the others.
    new Sensitive('shared-start-value-A');
    new Sensitive('shared-start-value-B');
    for (let index = 0; index < 63; index++) new Sensitive(`start-filler-value-${index}`);
    expect(redact('shared-start-value-A')).toBe('shared-start-value-A');
    expect(redact('shared-start-value-B')).toBe('[redacted]');
  });

  it('holds a value registered again once, so the memory stays bounded as invocations read it again', () => {
    new Sensitive('registered-twice-value');
    new Sensitive('registered-twice-value');
    for (let index = 0; index < 64; index++) new Sensitive(`twice-filler-value-${index}`);
    expect(redact('registered-twice-value')).toBe('registered-twice-value');
  });

  it("hands an invocation's values to the bounded memory when it ends", async () => {
    await redactingInvocation(async () => {
      new Sensitive('handed-over-value-1');
    });
    expect(redact('handed-over-value-1')).toBe('[redacted]');
    for (let index = 0; index < 64; index++) new Sensitive(`later-filler-value-${index}`);
    expect(redact('handed-over-value-1')).toBe('handed-over-value-1');
  });
});

describe('the rotation function under a flood of labelled versions', () => {
  const logs = captureLogs();

  it('never prints the RotationToken flushed by 40 extra labelled versions, echoed by Secrets Manager', async () => {
    const rotation = startRotation();
    for (let index = 0; index < 40; index++) {
      const key = rotation.factify.addKey(rotation.orgId, {
        name: `hand-made-${index}`,
        admin: false,
        active: false,
      });
      rotation.store.setVersion(
        rotation.arn,
        `labelled-version-${String(index).padStart(24, '0')}`,
        [`LABEL${index}`],
        { apiKey: key.key, apiKeyId: key.id },
      );
    }
    // A plain error (no service fields), so only the redaction list stands between the echo and the log.
    rotation.store.putPendingValue = async () => {
      throw new Error(`PutSecretValue rejected the RotationToken ${ROTATION_TOKEN}`);
    };

    const error = (await rotation.run('createSecret').catch((caught: unknown) => caught)) as Error;

    expect(error).toBeInstanceOf(Error);
    const printed = [runtimeErrorLog(error), inspect(error, { showHidden: true }), logs.text()].join('\n');
    expect(printed.includes(ROTATION_TOKEN), 'the RotationToken was printed').toBe(false);
  });

  it.each(ECHO_FORMS)('never prints the RotationToken echoed %s by Secrets Manager', async (_how, form) => {
    const rotation = startRotation();
    rotation.store.putPendingValue = async () => {
      throw awsError('InvalidRequestException', `bad RotationToken ${form(ROTATION_TOKEN)}`);
    };

    const error = (await rotation.run('createSecret').catch((caught: unknown) => caught)) as Error;

    expect(error.name).toBe('InvalidRequestException');
    expect(error.message).toMatch(/InvalidRequestException/);
    expectNoEcho([runtimeErrorLog(error), logs.text()].join('\n'), [ROTATION_TOKEN]);
  });

  it.each(ECHO_FORMS)('never prints the new key echoed %s by Secrets Manager', async (_how, form) => {
    const rotation = startRotation();
    let newKey = '';
    rotation.store.putPendingValue = async (_arn, _token, value) => {
      newKey = JSON.parse(value.reveal()).apiKey as string;
      throw awsError('ResourceExistsException', `version exists with ${form(newKey)}`);
    };

    const error = (await rotation.run('createSecret').catch((caught: unknown) => caught)) as Error;

    expect(newKey).not.toBe('');
    expectNoEcho([runtimeErrorLog(error), logs.text()].join('\n'), [newKey]);
  });
});

describe('an AWS error is reduced to its name and a message the function composes', () => {
  it("keeps the name and HTTP status, and none of the service's text", () => {
    const reported = reportedError(awsError('ThrottlingException', 'anything the service said'));

    expect(reported.name).toBe('ThrottlingException');
    expect(reported.message).not.toContain('anything the service said');
    expect(reported.message).toContain('ThrottlingException');
    expect(reported.message).toContain('HTTP 400');
  });

  it('does not take a name that carries a secret', async () => {
    await redactingInvocation(async () => {
      new Sensitive('SecretNameShapedToken1');
      const reported = reportedError(awsError('SecretNameShapedToken1', 'x'));
      expect(`${reported.name} ${reported.message} ${reported.stack}`).not.toContain(
        'SecretNameShapedToken1',
      );
    });
  });
});

describe('a Factify error body is reduced to its documented code', () => {
  const KEY = 'ffy_test_rzx237b68vhczbfwe91r5z6d6xCI5uVj02pQPPGXOek82EeP19Y8SXP1QphznQpGZ5jFL';

  it.each(ECHO_FORMS)('prints nothing of a key echoed %s in any field', (_how, form) => {
    const echo = form(KEY);
    for (const body of [
      { type: 'about:blank', title: echo, status: 400, detail: echo },
      { error: { type: 'invalid_request_error', code: 'invalid_field_value', message: echo, param: echo } },
      { code: echo, message: echo, details: [{ reason: echo, param: echo }] },
      { error: { type: echo, code: echo } },
    ]) {
      const problem = parseProblem(JSON.stringify(body));
      expectNoEcho(JSON.stringify(problem), [KEY]);
    }
  });

  it('keeps a documented code and a field the request sent', () => {
    const problem = parseProblem(
      JSON.stringify({
        error: {
          type: 'invalid_request_error',
          code: 'invalid_field_value',
          message: 'name is bad: anything',
          param: 'name',
        },
      }),
    );

    expect(problem.code).toBe('invalid_field_value');
    expect(problem.detail).toContain('name');
    expect(problem.detail).not.toContain('anything');
  });

  it('reports an undocumented code as such, not by its text', () => {
    const problem = parseProblem(JSON.stringify({ error: { code: 'made_up_code', message: 'x' } }));

    expect(problem.code).toBeUndefined();
    expect(JSON.stringify(problem)).not.toContain('made_up_code');
  });
});
