import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { LEGACY_REVOKE_SCHEDULE_GROUP } from '../keys/revocation-schedule.js';
import type { InspectableRevocationScheduler, OneTimeSchedule } from '../ports.js';

/** A Scheduler client whose calls time out rather than hang into the Lambda timeout. */
export function createSchedulerClient(): SchedulerClient {
  return new SchedulerClient({
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
  });
}

/**
 * Revocation schedules on EventBridge Scheduler, in `group` (the construct's own schedule group; the account's
 * `default` group when unset). Schedules that earlier versions made in `default` are still found, so their
 * replaced keys count as scheduled until they run, and deleted with the group's. Endpoint, region and credentials come from the SDK's
 * standard environment (AWS_ENDPOINT_URL_SCHEDULER, AWS_REGION, the Lambda role).
 */
export class EventBridgeScheduler implements InspectableRevocationScheduler {
  private readonly group: string;
  private readonly deadLetterArn: string | undefined;

  constructor(
    options: { readonly group?: string; readonly deadLetterArn?: string } = {},
    private readonly client: SchedulerClient = createSchedulerClient(),
  ) {
    this.group = options.group ?? LEGACY_REVOKE_SCHEDULE_GROUP;
    this.deadLetterArn = options.deadLetterArn;
  }

  async scheduleOnce(schedule: OneTimeSchedule): Promise<'created' | 'exists'> {
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: schedule.name,
          GroupName: this.group,
          // at() takes the time without zone or fractions; the zone is given separately.
          ScheduleExpression: `at(${schedule.at.toISOString().slice(0, 19)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: schedule.targetArn,
            RoleArn: schedule.roleArn,
            Input: JSON.stringify(schedule.input),
            // The revocation is idempotent: let the service retry a failed invocation for a day.
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
            // A delivery that still fails (a changed role, a boundary) is kept there, not dropped.
            ...(this.deadLetterArn === undefined ? {} : { DeadLetterConfig: { Arn: this.deadLetterArn } }),
          },
          Description: 'Revokes a Factify key replaced by a rotation, once its grace period is over',
        }),
      );
      return 'created';
    } catch (error) {
      // The name is derived from the secret and the replaced version: a retried finishSecret lands here.
      if (error instanceof ConflictException) return 'exists';
      throw error;
    }
  }

  async deleteSchedule(name: string): Promise<void> {
    await this.#deleteIn(this.group, name);
    // One an earlier version made in `default` would otherwise still fire, for nothing.
    if (this.group !== LEGACY_REVOKE_SCHEDULE_GROUP) await this.#deleteIn(LEGACY_REVOKE_SCHEDULE_GROUP, name);
  }

  async #deleteIn(group: string, name: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: group }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }

  async scheduledAt(name: string): Promise<Date | undefined> {
    const at = await this.#scheduledIn(this.group, name);
    if (at !== undefined || this.group === LEGACY_REVOKE_SCHEDULE_GROUP) return at;
    // Made before the group existed: it still runs from `default`, and deletes itself once it has.
    return this.#scheduledIn(LEGACY_REVOKE_SCHEDULE_GROUP, name);
  }

  async #scheduledIn(group: string, name: string): Promise<Date | undefined> {
    try {
      const out = await this.client.send(new GetScheduleCommand({ Name: name, GroupName: group }));
      // Our schedules are at(yyyy-mm-ddThh:mm:ss) in UTC (scheduleOnce).
      const at = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(out.ScheduleExpression ?? '')?.[1];
      return at === undefined ? undefined : new Date(`${at}Z`);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}
