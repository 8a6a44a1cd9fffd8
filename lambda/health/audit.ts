import { secretNameOf } from '../settings/arn.js';
import { reportedError } from '../telemetry/errors.js';
import type { Logger } from '../telemetry/log.js';
import { SecretMetrics } from '../telemetry/metrics.js';
import { INSPECTION_CONCURRENCY, mapConcurrently } from './concurrency.js';
import { type InspectionContext, inspectSecret, type SecretInspection } from './inspection.js';
import type { FindingCode } from './verdict.js';

/** One audited secret: its inspection, or why it could not be checked. */
export type AuditedSecret =
  | ({ readonly secretId: string } & SecretInspection)
  | {
      readonly secretId: string;
      readonly error: { readonly name: string; readonly code: string; readonly message: string };
    };

/** What the audit returns: ids, dates, states and findings, never a key. */
export interface AuditReport {
  readonly auditedAt: string;
  readonly secrets: readonly AuditedSecret[];
  readonly summary: {
    readonly audited: number;
    readonly healthy: number;
    readonly withFindings: number;
    readonly notChecked: number;
  };
}

export interface AuditContext extends InspectionContext {
  readonly log: Logger;
  readonly metricsNamespace: string;
}

const OVERDUE_FINDINGS: readonly FindingCode[] = [
  'rotation-disabled',
  'rotation-not-scheduled',
  'rotation-overdue',
];

/**
 * The daily audit: inspects each secret with the same code as `factify-rotation status`, logs one line per
 * finding, publishes each secret's health metrics, and returns the report. It only reads. A secret that
 * cannot be checked is reported as such (and publishes nothing, which the overdue alarm treats as breaching);
 * the others are still audited.
 */
export async function runAudit(ctx: AuditContext, secretIds: readonly string[]): Promise<AuditReport> {
  const secrets = await mapConcurrently(secretIds, INSPECTION_CONCURRENCY, (secretId) =>
    auditOne(ctx, secretId),
  );

  const checked = secrets.filter((secret) => !('error' in secret)) as SecretInspection[];
  const summary = {
    audited: secrets.length,
    healthy: checked.filter((secret) => secret.findings.length === 0).length,
    withFindings: checked.filter((secret) => secret.findings.length > 0).length,
    notChecked: secrets.length - checked.length,
  };
  ctx.log.info('Audit finished', {
    ...summary,
    outcome: summary.notChecked > 0 ? 'incomplete' : 'completed',
  });
  return { auditedAt: ctx.now().toISOString(), secrets, summary };
}

async function auditOne(ctx: AuditContext, secretId: string): Promise<AuditedSecret> {
  const log = ctx.log.child({ secretId });
  try {
    const { report } = await inspectSecret(ctx, secretId);
    const secretLog = log.child({ secretId: report.secret.arn, secretName: report.secret.name });
    for (const finding of report.findings) {
      secretLog.warn('Audit finding', {
        finding: finding.code,
        detail: finding.message,
        verdict: report.verdict,
      });
    }
    if (report.findings.length === 0)
      secretLog.info('Audit found the secret healthy', { verdict: report.verdict });
    publish(ctx, report);
    return { secretId, ...report };
  } catch (error) {
    // Only the name, code and scrubbed message, as the handler reports its own failures.
    const reported = reportedError(error);
    log.error('Audit could not check the secret', { finding: 'not-checked', error: reported });
    const { code } = reported as Error & { code: string };
    return { secretId, error: { name: reported.name, code, message: reported.message } };
  }
}

function publish(ctx: AuditContext, report: SecretInspection): void {
  const metrics = new SecretMetrics(
    report.secret.name || secretNameOf(report.secret.arn),
    ctx.metricsNamespace,
  );
  const has = (code: FindingCode) => report.findings.some((finding) => finding.code === code);
  if (report.rotation.daysSinceRotation !== null)
    metrics.set('DaysSinceRotation', report.rotation.daysSinceRotation);
  metrics.set('RotationOverdue', OVERDUE_FINDINGS.some(has) ? 1 : 0);
  metrics.set('RotationStuck', has('rotation-stuck') ? 1 : 0);
  // What only Factify can tell is left unpublished when Factify could not be asked.
  if (report.factify.activeKeys !== null) {
    metrics.set('CurrentKeyNotActive', has('current-key-not-active') ? 1 : 0);
    metrics.set('OrphanedKeys', report.orphans.length);
    metrics.set('ReplacedKeysNotRevoked', report.awaitingRevocation.length);
    metrics.set('ActiveKeys', report.factify.activeKeys);
  } else if (has('current-key-not-active')) {
    // Self-rotation: Factify rejecting the current key is itself the answer.
    metrics.set('CurrentKeyNotActive', 1);
  }
  metrics.flush(ctx.now);
}
