import { request as httpRequest } from 'node:http';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  InternalServerException,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  SchedulerServiceException,
  ThrottlingException,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ScheduledInvocation,
  type SchedulerEmulator,
  type ScheduleTargetInvoker,
  startSchedulerEmulator,
} from './scheduler.js';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:factify-rotator';
const ROLE = 'arn:aws:iam::123456789012:role/factify-revoke-scheduler';
const NAME = 'fkr-revoke-abc123-v1';
const START = new Date('2030-01-01T00:00:00Z');
/** Ten minutes after START, when the schedules below are due. */
const DUE = new Date('2030-01-01T00:10:00Z');
const EVENT = { Action: 'revokeReplacedKey', SecretId: 'factify/api-key', VersionId: 'v1', ApiKeyId: 'k1' };

let clock: Date;
let scheduler: SchedulerEmulator;
let client: SchedulerClient;

beforeEach(async () => {
  clock = START;
  scheduler = await startSchedulerEmulator({ now: () => clock });
  client = scheduler.client();
});

afterEach(async () => {
  await scheduler.close();
});

/** A one-time schedule of the revocation Lambda, due at DUE and deleted after completion. */
function scheduleInput(overrides: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: NAME,
    ScheduleExpression: 'at(2030-01-01T00:10:00)',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: LAMBDA, RoleArn: ROLE, Input: JSON.stringify(EVENT) },
    ActionAfterCompletion: 'DELETE',
    ...overrides,
  };
}

function create(overrides: Partial<CreateScheduleCommandInput> = {}, target = client) {
  return target.send(new CreateScheduleCommand(scheduleInput(overrides)));
}

/** The service exception a call failed with; fails the test if it succeeded or failed otherwise. */
async function failure(call: Promise<unknown>): Promise<SchedulerServiceException> {
  const error = await call.then(
    () => new Error('expected the call to fail'),
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof SchedulerServiceException)) throw error;
  return error;
}

/** An invoker that records what it receives, and fails while `failures` is positive. */
function recordingInvoker(seen: ScheduledInvocation[] = [], failures = { count: 0 }): ScheduleTargetInvoker {
  return async (invocation) => {
    seen.push(invocation);
    if (failures.count > 0) {
      failures.count -= 1;
      throw new Error('Factify answered 503');
    }
  };
}

/** Sends a request the SDK never would. The signature is not checked, only its credential scope. */
function rawRequest(method: string, path: string, body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const request = httpRequest(
        `${scheduler.endpoint}${path}`,
        {
          method,
          agent: false,
          headers: {
            connection: 'close',
            'content-type': 'application/json',
            authorization:
              'AWS4-HMAC-SHA256 Credential=AKIAEMULATOR/20300101/us-east-1/scheduler/aws4_request, SignedHeaders=host, Signature=0',
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    },
  );
}

/** Lets a test edit the HTTP request after the SDK signed it. */
function tamper(target: SchedulerClient, edit: (request: { headers: Record<string, string> }) => void) {
  target.middlewareStack.add(
    (next) => async (args) => {
      edit(args.request as { headers: Record<string, string> });
      return next(args);
    },
    { step: 'deserialize' },
  );
}

describe('wire protocol', () => {
  it('creates and returns a schedule over restJson1, with epoch-second dates and a request id', async () => {
    const created = await create();
    const got = await client.send(new GetScheduleCommand({ Name: NAME }));

    expect(created.ScheduleArn).toBe(`arn:aws:scheduler:us-east-1:123456789012:schedule/default/${NAME}`);
    expect(created.$metadata).toMatchObject({ httpStatusCode: 200, requestId: expect.any(String) });
    expect(got).toMatchObject({
      Arn: created.ScheduleArn,
      Name: NAME,
      GroupName: 'default',
      ScheduleExpression: 'at(2030-01-01T00:10:00)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: LAMBDA,
        RoleArn: ROLE,
        Input: JSON.stringify(EVENT),
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      },
      CreationDate: START,
      LastModificationDate: START,
    });
    expect(got.Description).toBeUndefined();
  });

  it('uses the configured region and account in ARNs and in its client', async () => {
    const other = await startSchedulerEmulator({ region: 'eu-west-1', accountId: '111122223333' });
    try {
      const { ScheduleArn } = await create({}, other.client());
      expect(ScheduleArn).toBe(`arn:aws:scheduler:eu-west-1:111122223333:schedule/default/${NAME}`);
      expect(other.region).toBe('eu-west-1');
      expect(other.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await other.close();
    }
  });

  it('names the error type in X-Amzn-ErrorType with the modeled status and a Message body', async () => {
    const missing = await rawRequest('GET', '/schedules/missing');
    const invalid = await rawRequest('POST', `/schedules/${NAME}`, '{}');
    await create();
    const conflict = await rawRequest('POST', `/schedules/${NAME}`, JSON.stringify(scheduleInput()));

    expect(missing.status).toBe(404);
    expect(missing.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(JSON.parse(missing.body)).toEqual({ Message: 'Schedule missing does not exist.' });
    expect(invalid.status).toBe(400);
    expect(invalid.headers['x-amzn-errortype']).toBe('ValidationException');
    expect(JSON.parse(invalid.body).Message).toBe(
      "1 validation error detected: Value null at 'scheduleExpression' failed to satisfy constraint: Member must not be null",
    );
    expect(conflict.status).toBe(409);
    expect(conflict.headers['x-amzn-errortype']).toBe('ConflictException');
  });

  it('returns errors the SDK turns into its modeled exception classes', async () => {
    const error = await failure(client.send(new GetScheduleCommand({ Name: 'missing' })));

    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.message).toBe('Schedule missing does not exist.');
    expect(error.$metadata.httpStatusCode).toBe(404);
  });

  it('refuses unsigned requests and signatures scoped to another region or service', async () => {
    const unsigned = scheduler.client({ maxAttempts: 1 });
    tamper(unsigned, (request) => {
      delete request.headers.authorization;
    });
    const elsewhere = new SchedulerClient({
      endpoint: scheduler.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIAEMULATOR', secretAccessKey: 'emulator-secret-access-key' },
      maxAttempts: 1,
    });

    try {
      const missing = await failure(unsigned.send(new GetScheduleCommand({ Name: NAME })));
      const misscoped = await failure(elsewhere.send(new GetScheduleCommand({ Name: NAME })));

      expect(missing.name).toBe('MissingAuthenticationTokenException');
      expect(missing.$metadata.httpStatusCode).toBe(403);
      expect(misscoped.name).toBe('InvalidSignatureException');
      expect(misscoped.message).toMatch(/expected us-east-1\/scheduler, got eu-west-1\/scheduler/);
    } finally {
      elsewhere.destroy();
    }
  });

  it('rejects operations it does not implement and bodies that are not JSON objects', async () => {
    const update = await failure(
      scheduler.client({ maxAttempts: 1 }).send(new UpdateScheduleCommand(scheduleInput())),
    );
    const notJson = await rawRequest('POST', `/schedules/${NAME}`, '[1]');
    const wrongType = await rawRequest(
      'POST',
      `/schedules/${NAME}`,
      JSON.stringify({ ...scheduleInput(), Target: 'x' }),
    );

    expect(update.name).toBe('UnknownOperationException');
    expect(update.$metadata.httpStatusCode).toBe(404);
    expect(notJson.headers['x-amzn-errortype']).toBe('SerializationException');
    expect(wrongType.headers['x-amzn-errortype']).toBe('SerializationException');
    expect(scheduler.schedules()).toEqual([]);
  });

  it('records each call by operation and schedule name, never an input or a token', async () => {
    await create();
    await client.send(new GetScheduleCommand({ Name: NAME }));
    await client.send(new ListSchedulesCommand({}));
    await client.send(new DeleteScheduleCommand({ Name: NAME }));

    expect(scheduler.calls).toEqual([
      { operation: 'CreateSchedule', name: NAME },
      { operation: 'GetSchedule', name: NAME },
      { operation: 'ListSchedules' },
      { operation: 'DeleteSchedule', name: NAME },
    ]);
    scheduler.resetCalls();
    expect(scheduler.calls).toEqual([]);
  });
});

describe('CreateSchedule', () => {
  it('stores every documented member, with ENABLED, NONE, UTC and group default as defaults', async () => {
    await create({
      Name: 'explicit',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'DISABLED',
      Description: 'revoke k1',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
      Target: {
        Arn: LAMBDA,
        RoleArn: ROLE,
        RetryPolicy: { MaximumEventAgeInSeconds: 3_600, MaximumRetryAttempts: 3 },
        DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:123456789012:revoke-dlq' },
      },
    });
    await create({ Name: 'defaults', ActionAfterCompletion: undefined });

    const explicit = await client.send(new GetScheduleCommand({ Name: 'explicit' }));
    const defaults = await client.send(new GetScheduleCommand({ Name: 'defaults', GroupName: 'default' }));

    expect(explicit).toMatchObject({
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'DISABLED',
      Description: 'revoke k1',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
      Target: {
        RetryPolicy: { MaximumEventAgeInSeconds: 3_600, MaximumRetryAttempts: 3 },
        DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:123456789012:revoke-dlq' },
      },
    });
    expect(explicit.Target?.Input).toBeUndefined();
    expect(defaults).toMatchObject({
      GroupName: 'default',
      State: 'ENABLED',
      ActionAfterCompletion: 'NONE',
      ScheduleExpressionTimezone: 'UTC',
    });
  });

  it('refuses an existing name with ConflictException (409), even for the same request', async () => {
    await create();

    // The SDK fills in a fresh ClientToken per call, so this is a new request, not a retry.
    const again = await failure(create());
    const different = await failure(create({ ScheduleExpression: 'at(2030-01-02T00:00:00)' }));

    expect(again).toBeInstanceOf(ConflictException);
    expect(again.$metadata.httpStatusCode).toBe(409);
    expect(again.message).toBe(`Schedule ${NAME} already exists.`);
    expect(different).toBeInstanceOf(ConflictException);
    expect(scheduler.schedules()).toHaveLength(1);
  });

  it('is idempotent per ClientToken: the same request returns the same ARN, another one conflicts', async () => {
    const first = await create({ ClientToken: 'revoke-abc123-v1' });
    clock = new Date(START.getTime() + 60_000);
    const replay = await create({ ClientToken: 'revoke-abc123-v1' });
    const changed = await failure(
      create({ ClientToken: 'revoke-abc123-v1', ScheduleExpression: 'at(2030-01-02T00:00:00)' }),
    );

    expect(replay.ScheduleArn).toBe(first.ScheduleArn);
    expect(changed).toBeInstanceOf(ConflictException);
    expect(scheduler.schedules()).toMatchObject([{ name: NAME, createdAt: START }]);
  });

  it('lets the SDK retry a create the server applied after the client timed out', async () => {
    const impatient = scheduler.client({
      maxAttempts: 2,
      requestHandler: { requestTimeout: 50, throwOnRequestTimeout: true },
    });
    // A hold 40 times the timeout: a timer late on a loaded machine must not let the first answer through.
    scheduler.failNext('CreateSchedule', { hangMs: 2_000 });

    const { ScheduleArn, $metadata } = await create({}, impatient);
    await vi.waitFor(() => expect(scheduler.calls).toHaveLength(2));

    expect($metadata.attempts).toBe(2);
    expect(ScheduleArn).toBe(`arn:aws:scheduler:us-east-1:123456789012:schedule/default/${NAME}`);
    expect(scheduler.schedules()).toHaveLength(1);
  });

  const longName = 'n'.repeat(65);
  it.each<[string, Partial<CreateScheduleCommandInput>, RegExp]>([
    ['a name with characters outside [0-9a-zA-Z-_.]', { Name: 'bad name!' }, /regular expression pattern/],
    ['a name over 64 characters', { Name: longName }, /length less than or equal to 64/],
    ['no ScheduleExpression', { ScheduleExpression: undefined }, /'scheduleExpression'.*must not be null/],
    ['no FlexibleTimeWindow', { FlexibleTimeWindow: undefined }, /'flexibleTimeWindow'.*must not be null/],
    ['no Target', { Target: undefined }, /'target'.*must not be null/],
    ['a Target without RoleArn', { Target: { Arn: LAMBDA } as never }, /'target.roleArn'.*must not be null/],
    ['a RoleArn that is no IAM role', { Target: { Arn: LAMBDA, RoleArn: LAMBDA } }, /pattern/],
    ['an empty Target.Input', { Target: { Arn: LAMBDA, RoleArn: ROLE, Input: '' } }, /length greater/],
    ['non-JSON Input to a Lambda', { Target: { Arn: LAMBDA, RoleArn: ROLE, Input: 'revoke' } }, /JSON/],
    [
      'a retry policy out of range',
      { Target: { Arn: LAMBDA, RoleArn: ROLE, RetryPolicy: { MaximumRetryAttempts: 186 } } },
      /less than or equal to 185/,
    ],
    [
      'target parameters the emulator does not model',
      { Target: { Arn: LAMBDA, RoleArn: ROLE, SqsParameters: { MessageGroupId: 'g' } } },
      /does not support Target.SqsParameters/,
    ],
    ['FLEXIBLE without a maximum window', { FlexibleTimeWindow: { Mode: 'FLEXIBLE' } }, /MaximumWindow/],
    [
      'a window over 1440 minutes',
      { FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 1441 } },
      /less than or equal to 1440/,
    ],
    [
      'an unknown window mode',
      { FlexibleTimeWindow: { Mode: 'ON' as never } },
      /enum value set: \[OFF, FLEXIBLE\]/,
    ],
    [
      'an at() time that does not exist',
      { ScheduleExpression: 'at(2030-02-30T00:00:00)' },
      /Invalid Schedule/,
    ],
    [
      'an at() time with a zone suffix',
      { ScheduleExpression: 'at(2030-01-01T00:10:00Z)' },
      /Invalid Schedule/,
    ],
    ['a rate() of zero', { ScheduleExpression: 'rate(0 minutes)' }, /Invalid Schedule Expression rate/],
    ['a rate() unit of weeks', { ScheduleExpression: 'rate(2 weeks)' }, /Invalid Schedule/],
    ['a cron() with five fields', { ScheduleExpression: 'cron(0 12 * * ?)' }, /Invalid Schedule/],
    ['a cron() with both day fields', { ScheduleExpression: 'cron(0 12 * * MON *)' }, /Invalid Schedule/],
    ['an unknown time zone', { ScheduleExpressionTimezone: 'Mars/Olympus' }, /Invalid time zone/],
    ['a UTC offset for a time zone', { ScheduleExpressionTimezone: '+02:00' }, /Invalid time zone/],
    ['an unknown State', { State: 'PAUSED' as never }, /enum value set: \[ENABLED, DISABLED\]/],
    ['an unknown ActionAfterCompletion', { ActionAfterCompletion: 'KEEP' as never }, /\[NONE, DELETE\]/],
    ['a ClientToken with other characters', { ClientToken: 'token!' }, /pattern/],
  ])('refuses %s with ValidationException (400) and stores nothing', async (_, overrides, message) => {
    const error = await failure(create(overrides));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toMatch(message);
    expect(scheduler.schedules()).toEqual([]);
  });

  it('requires a group other than default to exist (ResourceNotFoundException, 404)', async () => {
    const missing = await failure(create({ GroupName: 'factify' }));
    scheduler.createGroup('factify');
    const { ScheduleArn } = await create({ GroupName: 'factify' });
    await create();

    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.$metadata.httpStatusCode).toBe(404);
    expect(ScheduleArn).toBe(`arn:aws:scheduler:us-east-1:123456789012:schedule/factify/${NAME}`);
    expect(scheduler.schedules().map((schedule) => schedule.groupName)).toEqual(['default', 'factify']);
  });

  it('evaluates an at() time in ScheduleExpressionTimezone', async () => {
    await create({
      Name: 'berlin-summer',
      ScheduleExpression: 'at(2030-06-01T09:00:00)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
    await create({
      Name: 'new-york-winter',
      ScheduleExpression: 'at(2030-01-15T09:00:00)',
      ScheduleExpressionTimezone: 'America/New_York',
    });
    await create({ Name: 'utc' });

    expect(
      Object.fromEntries(scheduler.schedules().map((schedule) => [schedule.name, schedule.dueAt])),
    ).toEqual({
      'berlin-summer': new Date('2030-06-01T07:00:00Z'),
      'new-york-winter': new Date('2030-01-15T14:00:00Z'),
      utc: DUE,
    });
  });

  it('accepts rate() and cron() schedules, which are never due in the emulator', async () => {
    await create({ Name: 'hourly', ScheduleExpression: 'rate(1 hour)', ActionAfterCompletion: 'NONE' });
    await create({ Name: 'nightly', ScheduleExpression: 'cron(0 3 * * ? *)', ActionAfterCompletion: 'NONE' });
    scheduler.setTargetInvoker(LAMBDA, recordingInvoker());

    const ran = await scheduler.runDue(new Date('2031-01-01T00:00:00Z'));

    expect(ran).toEqual([]);
    expect(scheduler.schedules().map((schedule) => schedule.dueAt)).toEqual([undefined, undefined]);
  });

  it('accepts an at() time already past by default, and runs it at the next runDue', async () => {
    clock = new Date('2030-01-01T01:00:00Z');
    await create();
    scheduler.setTargetInvoker(LAMBDA, recordingInvoker());

    expect(await scheduler.runDue()).toMatchObject([{ name: NAME, delivered: true, deleted: true }]);
  });

  it("refuses an at() time already past with pastAtTime: 'reject'", async () => {
    const strict = await startSchedulerEmulator({
      now: () => new Date('2030-01-01T01:00:00Z'),
      pastAtTime: 'reject',
    });
    try {
      const error = await failure(create({}, strict.client()));
      await create({ ScheduleExpression: 'at(2030-01-01T02:00:00)' }, strict.client());

      expect(error).toBeInstanceOf(ValidationException);
      expect(error.message).toMatch(/in the past/);
      expect(strict.schedules()).toHaveLength(1);
    } finally {
      await strict.close();
    }
  });
});

describe('GetSchedule and DeleteSchedule', () => {
  it('find a schedule only in its own group', async () => {
    scheduler.createGroup('factify');
    await create({ GroupName: 'factify' });

    const inDefault = await failure(client.send(new GetScheduleCommand({ Name: NAME })));
    const inGroup = await client.send(new GetScheduleCommand({ Name: NAME, GroupName: 'factify' }));
    const unknownGroup = await failure(
      client.send(new DeleteScheduleCommand({ Name: NAME, GroupName: 'nope' })),
    );

    expect(inDefault).toBeInstanceOf(ResourceNotFoundException);
    expect(inGroup.GroupName).toBe('factify');
    expect(unknownGroup).toBeInstanceOf(ResourceNotFoundException);
  });

  it('validate the name in the path', async () => {
    const empty = await failure(client.send(new GetScheduleCommand({ Name: '' })));
    const invalid = await failure(client.send(new DeleteScheduleCommand({ Name: 'a/b' })));

    expect(empty).toBeInstanceOf(ValidationException);
    expect(empty.message).toMatch(/'name'.*length greater than or equal to 1/);
    // The SDK percent-encodes the label, so the slash reaches the name check.
    expect(invalid).toBeInstanceOf(ValidationException);
    expect(invalid.message).toMatch(/Value 'a\/b' at 'name'.*regular expression pattern/);
  });

  it('delete a schedule once; an unknown one fails with ResourceNotFoundException (404)', async () => {
    await create();

    const deleted = await client.send(new DeleteScheduleCommand({ Name: NAME }));
    const again = await failure(client.send(new DeleteScheduleCommand({ Name: NAME })));
    const get = await failure(client.send(new GetScheduleCommand({ Name: NAME })));

    expect(deleted.$metadata.httpStatusCode).toBe(200);
    expect(again).toBeInstanceOf(ResourceNotFoundException);
    expect(again.$metadata.httpStatusCode).toBe(404);
    expect(again.message).toBe(`Schedule ${NAME} does not exist.`);
    expect(get).toBeInstanceOf(ResourceNotFoundException);
  });

  it('repeat a delete carrying the ClientToken of one that succeeded, as an SDK retry would', async () => {
    await create();

    await client.send(new DeleteScheduleCommand({ Name: NAME, ClientToken: 'delete-1' }));
    const retried = await client.send(new DeleteScheduleCommand({ Name: NAME, ClientToken: 'delete-1' }));
    const other = await failure(
      client.send(new DeleteScheduleCommand({ Name: NAME, ClientToken: 'delete-2' })),
    );

    expect(retried.$metadata.httpStatusCode).toBe(200);
    expect(other).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('ListSchedules', () => {
  it('filters by group, name prefix and state, and pages with NextToken', async () => {
    scheduler.createGroup('factify');
    await create({ Name: 'fkr-revoke-a' });
    await create({ Name: 'fkr-revoke-b', State: 'DISABLED' });
    await create({ Name: 'fkr-revoke-c' });
    await create({ Name: 'other' });
    await create({ Name: 'fkr-revoke-z', GroupName: 'factify' });
    const names = (page: { Schedules?: { Name?: string }[] }) =>
      page.Schedules?.map((summary) => summary.Name);

    const first = await client.send(
      new ListSchedulesCommand({ GroupName: 'default', NamePrefix: 'fkr-revoke-', MaxResults: 2 }),
    );
    const second = await client.send(
      new ListSchedulesCommand({
        GroupName: 'default',
        NamePrefix: 'fkr-revoke-',
        MaxResults: 2,
        NextToken: first.NextToken,
      }),
    );
    const enabled = await client.send(new ListSchedulesCommand({ State: 'ENABLED' }));

    expect(names(first)).toEqual(['fkr-revoke-a', 'fkr-revoke-b']);
    expect(names(second)).toEqual(['fkr-revoke-c']);
    expect(second.NextToken).toBeUndefined();
    expect(names(enabled)).toEqual(['fkr-revoke-a', 'fkr-revoke-c', 'other', 'fkr-revoke-z']);
    expect(first.Schedules?.[0]).toEqual({
      Arn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/fkr-revoke-a',
      Name: 'fkr-revoke-a',
      GroupName: 'default',
      State: 'ENABLED',
      CreationDate: START,
      LastModificationDate: START,
      Target: { Arn: LAMBDA },
    });
  });

  it('rejects a NextToken it did not issue and MaxResults out of range', async () => {
    const token = await failure(client.send(new ListSchedulesCommand({ NextToken: 'bogus' })));
    const max = await failure(client.send(new ListSchedulesCommand({ MaxResults: 101 })));

    expect(token).toBeInstanceOf(ValidationException);
    expect(max).toBeInstanceOf(ValidationException);
  });
});

describe('runDue', () => {
  const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:revocations';

  it('runs only the at() schedules due by now(), passing the parsed Input and the role', async () => {
    const seen: ScheduledInvocation[] = [];
    scheduler.setTargetInvoker(LAMBDA, recordingInvoker(seen));
    await create();
    await create({ Name: 'later', ScheduleExpression: 'at(2030-01-01T00:20:00)' });

    const early = await scheduler.runDue();
    clock = DUE;
    const onTime = await scheduler.runDue();

    expect(early).toEqual([]);
    expect(onTime).toEqual([
      {
        name: NAME,
        groupName: 'default',
        attempt: 1,
        delivered: true,
        final: true,
        deleted: true,
        runs: [{ ok: true }],
        result: 'succeeded',
      },
    ]);
    expect(seen).toEqual([
      { name: NAME, groupName: 'default', targetArn: LAMBDA, roleArn: ROLE, input: EVENT },
    ]);
    expect(scheduler.schedules().map((schedule) => schedule.name)).toEqual(['later']);
  });

  it('runs due schedules in due order up to an explicit time', async () => {
    const seen: ScheduledInvocation[] = [];
    scheduler.setTargetInvoker(LAMBDA, recordingInvoker(seen));
    await create({ Name: 'second', ScheduleExpression: 'at(2030-01-01T00:20:00)' });
    await create({ Name: 'first' });
    await create({ Name: 'third', ScheduleExpression: 'at(2030-01-01T00:30:00)' });

    const ran = await scheduler.runDue(new Date('2030-01-01T00:20:00Z'));

    expect(ran.map((outcome) => outcome.name)).toEqual(['first', 'second']);
    expect(seen.map((invocation) => invocation.name)).toEqual(['first', 'second']);
  });

  it('deletes a DELETE schedule after it ran; keeps a NONE schedule, completed, and never runs it again', async () => {
    const seen: ScheduledInvocation[] = [];
    scheduler.setTargetInvoker(LAMBDA, recordingInvoker(seen));
    await create({ Name: 'delete' });
    await create({ Name: 'keep', ActionAfterCompletion: 'NONE' });
    clock = DUE;

    const ran = await scheduler.runDue();
    const again = await scheduler.runDue(new Date('2030-01-02T00:00:00Z'));

    expect(ran).toMatchObject([
      { name: 'delete', delivered: true, deleted: true },
      { name: 'keep', delivered: true, deleted: false },
    ]);
    expect(again).toEqual([]);
    expect(seen).toHaveLength(2);
    expect(await failure(client.send(new GetScheduleCommand({ Name: 'delete' })))).toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(client.send(new GetScheduleCommand({ Name: 'keep' }))).resolves.toMatchObject({
      State: 'ENABLED',
    });
    expect(scheduler.schedules()).toMatchObject([{ name: 'keep', attempts: 1, completed: true }]);
  });

  it('never runs a DISABLED schedule', async () => {
    scheduler.setTargetInvoker(LAMBDA, recordingInvoker());
    await create({ State: 'DISABLED' });

    expect(await scheduler.runDue(DUE)).toEqual([]);
    expect(scheduler.schedules()).toMatchObject([{ name: NAME, attempts: 0 }]);
  });

  it('invokes a Lambda function asynchronously: a DELETE schedule is gone before the function runs', async () => {
    const found: string[] = [];
    scheduler.setTargetInvoker(LAMBDA, async ({ name }) => {
      const existing = await client.send(new GetScheduleCommand({ Name: name })).then(
        () => 'found',
        (error: Error) => error.name,
      );
      found.push(existing);
    });
    await create();

    expect(await scheduler.runDue(DUE)).toMatchObject([
      { delivered: true, deleted: true, result: 'succeeded' },
    ]);
    expect(found).toEqual(['ResourceNotFoundException']);
  });

  it('treats a function error as delivered: Lambda retries the function, the schedule is not retried', async () => {
    const seen: ScheduledInvocation[] = [];
    scheduler.setTargetInvoker(LAMBDA, recordingInvoker(seen, { count: 1 }));
    await create({
      Target: {
        Arn: LAMBDA,
        RoleArn: ROLE,
        Input: JSON.stringify(EVENT),
        RetryPolicy: { MaximumRetryAttempts: 0 },
      },
    });

    const ran = await scheduler.runDue(DUE);
    const later = await scheduler.runDue(new Date('2030-01-02T00:00:00Z'));

    expect(ran).toEqual([
      {
        name: NAME,
        groupName: 'default',
        attempt: 1,
        delivered: true,
        final: true,
        deleted: true,
        runs: [{ ok: false, error: 'Factify answered 503' }, { ok: true }],
        result: 'succeeded',
      },
    ]);
    expect(later).toEqual([]);
    expect(seen).toEqual([seen[0], seen[0]]);
  });

  it('runs a failing function three times by default, then drops the event without an on-failure destination', async () => {
    const seen: ScheduledInvocation[] = [];
    scheduler.setTargetInvoker(LAMBDA, recordingInvoker(seen, { count: 10 }));
    await create({ Target: { Arn: LAMBDA, RoleArn: ROLE, RetryPolicy: { MaximumRetryAttempts: 185 } } });

    const ran = await scheduler.runDue(DUE);
    const later = await scheduler.runDue(new Date('2030-01-02T00:00:00Z'));

    expect(ran).toMatchObject([{ delivered: true, final: true, deleted: true, result: 'dropped' }]);
    expect(ran[0]?.runs).toHaveLength(3);
    expect(later).toEqual([]);
    expect(seen).toHaveLength(3);
    expect(scheduler.schedules()).toEqual([]);
  });

  it("sends the event to the function's on-failure destination after its configured retries", async () => {
    const failed: unknown[] = [];
    scheduler.setTargetInvoker(LAMBDA, recordingInvoker([], { count: 10 }), {
      maximumRetryAttempts: 1,
      onFailure: (record) => failed.push(record),
    });
    await create();

    const ran = await scheduler.runDue(DUE);

    expect(ran).toMatchObject([{ delivered: true, result: 'sent to on-failure destination' }]);
    expect(ran[0]?.runs).toHaveLength(2);
    expect(failed).toEqual([
      {
        requestContext: { functionArn: LAMBDA, condition: 'RetriesExhausted', approximateInvokeCount: 2 },
        requestPayload: EVENT,
        responsePayload: { errorMessage: 'Factify answered 503' },
      },
    ]);
  });

  it('refuses an asynchronous configuration Lambda would refuse, or for a target that is no function', () => {
    expect(() => scheduler.setTargetInvoker(LAMBDA, recordingInvoker(), { maximumRetryAttempts: 3 })).toThrow(
      /0, 1 or 2/,
    );
    expect(() => scheduler.setTargetInvoker(QUEUE, recordingInvoker(), { maximumRetryAttempts: 0 })).toThrow(
      /Lambda functions only/,
    );
  });

  it('keeps a schedule whose delivery failed, and retries it at the next runDue', async () => {
    const seen: ScheduledInvocation[] = [];
    scheduler.setTargetInvoker(QUEUE, recordingInvoker(seen, { count: 1 }));
    await create({ Target: { Arn: QUEUE, RoleArn: ROLE, Input: 'revoke k1' } });

    const failed = await scheduler.runDue(DUE);
    const retried = await scheduler.runDue(new Date('2030-01-01T00:11:00Z'));

    expect(failed).toEqual([
      {
        name: NAME,
        groupName: 'default',
        attempt: 1,
        delivered: false,
        error: 'Factify answered 503',
        final: false,
        deleted: false,
      },
    ]);
    expect(retried).toEqual([
      { name: NAME, groupName: 'default', attempt: 2, delivered: true, final: true, deleted: true },
    ]);
    expect(seen).toHaveLength(2);
  });

  it('ends the delivery once MaximumRetryAttempts are used up: DELETE deletes, NONE keeps', async () => {
    scheduler.setTargetInvoker(QUEUE, recordingInvoker([], { count: 10 }));
    const target = { Arn: QUEUE, RoleArn: ROLE, RetryPolicy: { MaximumRetryAttempts: 1 } };
    await create({ Name: 'delete', Target: target });
    await create({ Name: 'keep', Target: target, ActionAfterCompletion: 'NONE' });

    const first = await scheduler.runDue(DUE);
    const last = await scheduler.runDue(DUE);
    const after = await scheduler.runDue(DUE);

    expect(first).toMatchObject([
      { name: 'delete', delivered: false, attempt: 1, final: false, deleted: false },
      { name: 'keep', delivered: false, attempt: 1, final: false, deleted: false },
    ]);
    expect(last).toMatchObject([
      { name: 'delete', delivered: false, attempt: 2, final: true, deleted: true },
      { name: 'keep', delivered: false, attempt: 2, final: true, deleted: false },
    ]);
    expect(after).toEqual([]);
    expect(scheduler.schedules()).toMatchObject([{ name: 'keep', completed: true }]);
  });

  it('ends the delivery once MaximumEventAgeInSeconds has passed since the due time', async () => {
    await create({ Target: { Arn: LAMBDA, RoleArn: ROLE, RetryPolicy: { MaximumEventAgeInSeconds: 60 } } });

    const young = await scheduler.runDue(new Date('2030-01-01T00:10:59Z'));
    const old = await scheduler.runDue(new Date('2030-01-01T00:11:00Z'));

    expect(young).toMatchObject([{ delivered: false, final: false }]);
    expect(old).toMatchObject([{ delivered: false, final: true, deleted: true }]);
  });

  it('fails the delivery to a function that has no invoker, and runs nothing', async () => {
    await create();

    const ran = await scheduler.runDue(DUE);

    expect(ran).toEqual([
      {
        name: NAME,
        groupName: 'default',
        attempt: 1,
        delivered: false,
        error: `No target invoker is registered for ${LAMBDA}.`,
        final: false,
        deleted: false,
      },
    ]);
  });

  it('lets the function delete its own NONE schedule through the API while it runs', async () => {
    scheduler.setTargetInvoker(LAMBDA, async ({ name }) => {
      await client.send(new DeleteScheduleCommand({ Name: name }));
    });
    await create({ ActionAfterCompletion: 'NONE' });

    expect(await scheduler.runDue(DUE)).toMatchObject([{ result: 'succeeded', deleted: true }]);
    expect(scheduler.schedules()).toEqual([]);
  });

  it('passes a non-JSON Input as text, and no Input as undefined', async () => {
    const seen: ScheduledInvocation[] = [];
    scheduler.setTargetInvoker(QUEUE, recordingInvoker(seen));
    await create({ Name: 'text', Target: { Arn: QUEUE, RoleArn: ROLE, Input: 'revoke k1' } });
    await create({ Name: 'none', Target: { Arn: QUEUE, RoleArn: ROLE } });

    await scheduler.runDue(DUE);

    expect(seen.map(({ name, input }) => ({ name, input }))).toEqual([
      { name: 'none', input: undefined },
      { name: 'text', input: 'revoke k1' },
    ]);
  });
});

describe('fault injection', () => {
  it('fails the next call with an injected error, with the status the model gives its type', async () => {
    const single = scheduler.client({ maxAttempts: 1 });
    scheduler.failNext('CreateSchedule', { type: 'InternalServerException', message: 'try later' });
    scheduler.failNext('GetSchedule', { type: 'ThrottlingException' });
    scheduler.failNext('DeleteSchedule', { type: 'ConflictException', status: 400 });

    const internal = await failure(create({}, single));
    const throttled = await failure(single.send(new GetScheduleCommand({ Name: NAME })));
    const custom = await failure(single.send(new DeleteScheduleCommand({ Name: NAME })));

    expect(internal).toBeInstanceOf(InternalServerException);
    expect(internal.message).toBe('try later');
    expect(internal.$metadata.httpStatusCode).toBe(500);
    expect(throttled).toBeInstanceOf(ThrottlingException);
    expect(throttled.$metadata.httpStatusCode).toBe(429);
    expect(custom).toBeInstanceOf(ConflictException);
    expect(custom.$metadata.httpStatusCode).toBe(400);
  });

  it('applies faults before the operation, so a failed create stores nothing', async () => {
    scheduler.failNext('CreateSchedule', { type: 'InternalServerException' });

    await failure(create({}, scheduler.client({ maxAttempts: 1 })));

    expect(scheduler.schedules()).toEqual([]);
    expect(scheduler.calls).toEqual([{ operation: 'CreateSchedule', name: NAME }]);
  });

  it('lets the SDK retry through transient faults, and surfaces them once attempts run out', async () => {
    scheduler.failNext('CreateSchedule', { type: 'InternalServerException', times: 2 });
    const recovered = await create();
    scheduler.failNext('GetSchedule', { type: 'InternalServerException', times: 3 });
    const exhausted = await failure(client.send(new GetScheduleCommand({ Name: NAME })));

    expect(recovered.$metadata.attempts).toBe(3);
    expect(exhausted).toBeInstanceOf(InternalServerException);
    expect(exhausted.$metadata.attempts).toBe(3);
    expect(scheduler.calls).toHaveLength(6);
  });

  it('still applies a delete held by a hang after its client timed out', async () => {
    await create();
    const impatient = scheduler.client({
      maxAttempts: 1,
      requestHandler: { requestTimeout: 50, throwOnRequestTimeout: true },
    });
    scheduler.failNext('DeleteSchedule', { hangMs: 2_000 });

    const error = await impatient.send(new DeleteScheduleCommand({ Name: NAME })).then(
      () => undefined,
      (thrown: Error) => thrown,
    );

    expect(error?.name).toBe('TimeoutError');
    expect(scheduler.schedules()).toHaveLength(1);
    await vi.waitFor(() => expect(scheduler.schedules()).toEqual([]), { timeout: 10_000 });
  });

  it('refuses faults it could not apply', () => {
    expect(() => scheduler.failNext('UpdateSchedule', { type: 'InternalServerException' })).toThrow(
      /does not implement/,
    );
    expect(() => scheduler.failNext('GetSchedule', { hangMs: 10, times: 0 })).toThrow(/positive integer/);
  });
});

describe('close()', () => {
  const networkHandles = () =>
    process
      .getActiveResourcesInfo()
      .filter((resource) => resource === 'TCPServerWrap' || resource === 'TCPSocketWrap');

  it('releases the server, its sockets and its clients, even with a request held by a hang', async () => {
    const before = networkHandles();
    const other = await startSchedulerEmulator();
    const otherClient = other.client({ maxAttempts: 1 });
    other.failNext('GetSchedule', { hangMs: 60_000 });
    const held = otherClient.send(new GetScheduleCommand({ Name: NAME })).catch((error: Error) => error);
    await vi.waitFor(() => expect(other.calls).toHaveLength(1));

    await other.close();

    expect(networkHandles()).toEqual(before);
    expect(await held).toBeInstanceOf(Error);
  });
});
