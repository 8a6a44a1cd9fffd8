import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { REVOKE_SCHEDULE_GROUP } from '../keys/revocation-schedule.js';
import type { InspectableRevocationScheduler, OneTimeSchedule } from '../ports.js';

/**
 * Revocation schedules on EventBridge Scheduler, in their group (REVOKE_SCHEDULE_GROUP). Endpoint, region and credentials
 * come from the SDK's standard environment (AWS_ENDPOINT_URL_SCHEDULER, AWS_REGION, the Lambda role).
 */
export class EventBridgeScheduler implements InspectableRevocationScheduler {
  constructor(
    private readonly client: SchedulerClient = new SchedulerClient({
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
    }),
  ) {}

  async scheduleOnce(schedule: OneTimeSchedule): Promise<'created' | 'exists'> {
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: schedule.name,
          GroupName: REVOKE_SCHEDULE_GROUP,
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
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: REVOKE_SCHEDULE_GROUP }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }

  async scheduledAt(name: string): Promise<Date | undefined> {
    try {
      const out = await this.client.send(
        new GetScheduleCommand({ Name: name, GroupName: REVOKE_SCHEDULE_GROUP }),
      );
      // Our schedules are at(yyyy-mm-ddThh:mm:ss) in UTC (scheduleOnce).
      const at = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(out.ScheduleExpression ?? '')?.[1];
      return at === undefined ? undefined : new Date(`${at}Z`);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}
