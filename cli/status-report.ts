import {
  type InspectionContext,
  inspectSecret,
  type LeftoverKey,
  type SecretInspection,
} from '../lambda/health/inspection.js';
import { REVOKE_SCHEDULE_PREFIX } from '../lambda/keys/revocation-schedule.js';
import type { Credential } from '../lambda/ports.js';
import { adviseOn } from './advice.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';

export type { LeftoverKey };

/** Everything `status` reports; also its `--json` output. Ids, names, dates and states only, never a key. */
export interface StatusReport extends SecretInspection {
  readonly region: string;
  readonly explanation: string;
  readonly nextSteps: readonly string[];
}

/** The report, and the credential that manages keys, for a command that goes on to act on it. */
export interface Inspection {
  readonly report: StatusReport;
  readonly manager: Credential;
}

/**
 * The function's own inspection (lambda/health/inspection.ts, which the daily audit runs too), with the operator's
 * explanation and next steps added.
 */
export async function buildStatusReport(ctx: CliContext, secretId: string): Promise<Inspection> {
  const inspection: InspectionContext = {
    store: ctx.store,
    factify: ctx.factify,
    sealKey: ctx.sealKey,
    ...(ctx.adminSecretId === undefined ? {} : { adminSecretId: ctx.adminSecretId }),
    scheduledRevocationAt: (name) => scheduledRevocation(ctx, name),
    now: ctx.now,
  };
  const { report, manager } = await inspectSecret(inspection, secretId);
  const facts = { ...report, region: ctx.region };
  return { report: { ...facts, ...adviseOn(facts) }, manager };
}

/** When the revocation schedule `name` runs, with an operator's error when the identity may not look. */
export async function scheduledRevocation(ctx: CliContext, name: string): Promise<Date | undefined> {
  try {
    return await ctx.scheduler.scheduledAt(name);
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'AccessDeniedException') throw error;
    throw new CliError(
      `Access denied: your AWS identity may not call scheduler:GetSchedule on ${name}, which tells whether the ` +
        'replaced key still active in AWSPREVIOUS is in its grace period. Grant scheduler:GetSchedule on ' +
        `schedules named ${REVOKE_SCHEDULE_PREFIX}* in region ${ctx.region}, or use a profile or role that has it.`,
      undefined,
      { cause: error, code: 'AWS_ACCESS_DENIED' },
    );
  }
}
