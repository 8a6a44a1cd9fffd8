import { randomUUID } from 'node:crypto';
import type { Input } from '../aws/input.js';
import { invalid } from './errors.js';
import { isTimeZone, parseScheduleExpression, zonedInstant } from './expression.js';
import {
  CLIENT_TOKEN_PATTERN,
  checkString,
  NAME_PATTERN,
  optionalString,
  optionalTimestamp,
  queryInteger,
  requiredString,
  requiredStructure,
} from './input.js';
import { readFlexibleTimeWindow, readTarget } from './members.js';
import {
  type ActionAfterCompletion,
  DEFAULT_GROUP,
  type ScheduleRecord,
  type ScheduleState,
  type ScheduleStore,
} from './store.js';

/** One request, as the restJson1 bindings of the model split it up. */
export interface OperationRequest {
  /** The `{Name}` label of the path, decoded; undefined for collection routes. */
  readonly label?: string;
  readonly query: URLSearchParams;
  readonly body: Input;
}

/** Parsed request in, JSON response body out, or a thrown ServiceError. */
export type OperationHandler = (request: OperationRequest) => object;

export interface Operation {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** `/schedules/{Name}` or `/schedules`. */
  readonly route: 'item' | 'collection';
  readonly handler: OperationHandler;
}

export interface OperationContext {
  readonly store: ScheduleStore;
  readonly now: () => Date;
  /** Refuse at() times already past at creation, instead of accepting them (the default). */
  readonly rejectPastAt: boolean;
}

const NAME_RULES = { min: 1, max: 64, pattern: NAME_PATTERN };

export function schedulerOperations(context: OperationContext): ReadonlyMap<string, Operation> {
  const { store } = context;
  return new Map<string, Operation>([
    [
      'CreateSchedule',
      { method: 'POST', route: 'item', handler: (request) => createSchedule(context, request) },
    ],
    ['GetSchedule', { method: 'GET', route: 'item', handler: (request) => getSchedule(store, request) }],
    [
      'DeleteSchedule',
      { method: 'DELETE', route: 'item', handler: (request) => deleteSchedule(store, request) },
    ],
    [
      'ListSchedules',
      { method: 'GET', route: 'collection', handler: (request) => listSchedules(store, request) },
    ],
  ]);
}

function scheduleName(label: string | undefined): string {
  checkString(label ?? '', 'Name', NAME_RULES);
  return label ?? '';
}

function queryGroup(query: URLSearchParams, key: string): string {
  const groupName = query.get(key);
  if (groupName === null) return DEFAULT_GROUP;
  checkString(groupName, key, NAME_RULES);
  return groupName;
}

function createSchedule({ store, now, rejectPastAt }: OperationContext, { label, body }: OperationRequest) {
  const name = scheduleName(label);
  const groupName = optionalString(body, 'GroupName', 'GroupName', NAME_RULES) ?? DEFAULT_GROUP;
  const scheduleExpression = requiredString(body, 'ScheduleExpression', 'ScheduleExpression', {
    min: 1,
    max: 256,
  });
  const timezone =
    optionalString(body, 'ScheduleExpressionTimezone', 'ScheduleExpressionTimezone', { min: 1, max: 50 }) ??
    'UTC';
  const flexibleTimeWindow = readFlexibleTimeWindow(requiredStructure(body, 'FlexibleTimeWindow'));
  const target = readTarget(requiredStructure(body, 'Target'));
  const state = (optionalString(body, 'State', 'State', { values: ['ENABLED', 'DISABLED'] }) ??
    'ENABLED') as ScheduleState;
  const actionAfterCompletion = (optionalString(body, 'ActionAfterCompletion', 'ActionAfterCompletion', {
    values: ['NONE', 'DELETE'],
  }) ?? 'NONE') as ActionAfterCompletion;
  const description = optionalString(body, 'Description', 'Description', { max: 512 });
  const kmsKeyArn = optionalString(body, 'KmsKeyArn', 'KmsKeyArn', { min: 1, max: 2048 });
  const startDate = optionalTimestamp(body, 'StartDate');
  const endDate = optionalTimestamp(body, 'EndDate');
  // The SDKs always fill the token in; "if you do not specify a client token, EventBridge Scheduler
  // uses a randomly generated token for the request".
  const clientToken =
    optionalString(body, 'ClientToken', 'ClientToken', { min: 1, max: 64, pattern: CLIENT_TOKEN_PATTERN }) ??
    randomUUID();

  const expression = parseScheduleExpression(scheduleExpression);
  if (!isTimeZone(timezone)) throw invalid(`Invalid time zone ${timezone}.`);
  const dueAt = expression.kind === 'at' ? zonedInstant(expression.wallClock, timezone) : undefined;
  const createdAt = now();
  if (rejectPastAt && dueAt !== undefined && dueAt < createdAt) {
    throw invalid(`The schedule expression ${scheduleExpression} is in the past.`);
  }

  const { record } = store.create({
    name,
    groupName,
    scheduleExpression,
    timezone,
    state,
    actionAfterCompletion,
    target,
    flexibleTimeWindow,
    ...(description !== undefined && { description }),
    ...(kmsKeyArn !== undefined && { kmsKeyArn }),
    ...(startDate && { startDate }),
    ...(endDate && { endDate }),
    ...(dueAt && { dueAt }),
    createdAt,
    lastModifiedAt: createdAt,
    clientToken,
    request: canonicalJson({ ...body, ClientToken: undefined, GroupName: groupName, Name: name }),
  });
  return { ScheduleArn: record.arn };
}

function getSchedule(store: ScheduleStore, { label, query }: OperationRequest) {
  const name = scheduleName(label);
  const schedule = store.get(queryGroup(query, 'groupName'), name);
  return {
    Arn: schedule.arn,
    Name: schedule.name,
    GroupName: schedule.groupName,
    ScheduleExpression: schedule.scheduleExpression,
    ScheduleExpressionTimezone: schedule.timezone,
    State: schedule.state,
    ActionAfterCompletion: schedule.actionAfterCompletion,
    Target: schedule.target,
    FlexibleTimeWindow: schedule.flexibleTimeWindow,
    Description: schedule.description,
    KmsKeyArn: schedule.kmsKeyArn,
    StartDate: epochSeconds(schedule.startDate),
    EndDate: epochSeconds(schedule.endDate),
    CreationDate: epochSeconds(schedule.createdAt),
    LastModificationDate: epochSeconds(schedule.lastModifiedAt),
  };
}

function deleteSchedule(store: ScheduleStore, { label, query }: OperationRequest) {
  const name = scheduleName(label);
  const groupName = queryGroup(query, 'groupName');
  const clientToken = query.get('clientToken') ?? undefined;
  if (clientToken !== undefined) {
    checkString(clientToken, 'clientToken', { min: 1, max: 64, pattern: CLIENT_TOKEN_PATTERN });
  }
  store.delete(groupName, name, clientToken);
  return {};
}

function listSchedules(store: ScheduleStore, { query }: OperationRequest) {
  const groupName = query.get('ScheduleGroup') === null ? undefined : queryGroup(query, 'ScheduleGroup');
  const prefix = query.get('NamePrefix');
  if (prefix !== null) checkString(prefix, 'NamePrefix', NAME_RULES);
  const state = query.get('State');
  if (state !== null) checkString(state, 'State', { values: ['ENABLED', 'DISABLED'] });
  const maxResults = queryInteger(query, 'MaxResults', 1, 100) ?? 100;
  const start = pageStart(query.get('NextToken'));
  const matching = store
    .all()
    .filter(
      (schedule) =>
        (groupName === undefined || schedule.groupName === groupName) &&
        (prefix === null || schedule.name.startsWith(prefix)) &&
        (state === null || schedule.state === state),
    );
  const page = matching.slice(start, start + maxResults);
  const next = start + page.length;
  return {
    Schedules: page.map(summary),
    ...(next < matching.length && { NextToken: Buffer.from(`page:${next}`).toString('base64') }),
  };
}

function summary(schedule: ScheduleRecord) {
  return {
    Arn: schedule.arn,
    Name: schedule.name,
    GroupName: schedule.groupName,
    State: schedule.state,
    CreationDate: epochSeconds(schedule.createdAt),
    LastModificationDate: epochSeconds(schedule.lastModifiedAt),
    Target: { Arn: schedule.target.Arn },
  };
}

/** NextToken is opaque to callers; the emulator's own tokens carry the offset of the next page. */
function pageStart(token: string | null): number {
  if (token === null) return 0;
  const match = /^page:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
  if (!match) throw invalid('Invalid NextToken.');
  return Number(match[1]);
}

/** restJson1 sends timestamps in a body as epoch seconds. Undefined members are left out of the JSON. */
function epochSeconds(date: Date | undefined): number | undefined {
  return date && date.getTime() / 1000;
}

/** JSON with object keys sorted, so two requests compare equal whatever order their members came in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    member && typeof member === 'object' && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}
