import { secretNameOf } from '../settings/arn.js';
import { AdminSecretRefusedError, reportedError } from '../telemetry/errors.js';
import type { Logger } from '../telemetry/log.js';
import { SecretMetrics } from '../telemetry/metrics.js';
import { INSPECTION_CONCURRENCY, mapConcurrently } from './concurrency.js';
import { type InspectionContext, inspectSecret, type SecretInspection } from './inspection.js';
import type { FindingCode, Verdict } from './verdict.js';

/**
 * One audited secret: its verdict, finding codes, counts and dates, or the name and code of why it could not
 * be checked. Anyone who may invoke the function may run an audit of any secret, so what it returns and logs
 * names no version and no key: `factify-rotation status`, run with the secret's own permissions, shows those.
 */
export type AuditedSecret =
  | {
      readonly secretId: string;
      readonly secretName: string;
      readonly verdict: Verdict;
      readonly findings: readonly { readonly code: FindingCode }[];
      readonly rotation: Pick<
        SecretInspection['rotation'],
        'enabled' | 'lastRotatedDate' | 'nextRotationDate' | 'daysSinceRotation' | 'rotateBy'
      >;
      /** When the version of a rotation still pending was created. */
      readonly pendingSince: string | null;
      readonly activeKeys: number | null;
      readonly orphanedKeys: number;
      readonly replacedKeysNotRevoked: number;
      readonly scheduledRevocations: readonly { readonly revokeAt: string }[];
    }
  | { readonly secretId: string; readonly error: { readonly name: string; readonly code: string } };

/** What the audit returns: verdicts, codes, counts and dates, never a key, a key id or a version id. */
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
  const inspection: AuditContext = { ...ctx, refuseSecret: (secret) => refuseAdminSecret(ctx, secret) };
  const secrets = await mapConcurrently(secretIds, INSPECTION_CONCURRENCY, (secretId) =>
    auditOne(inspection, secretId),
  );

  const checked = secrets.flatMap((secret) => ('error' in secret ? [] : [secret]));
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

// The admin key's secret is no rotated secret: an invoker must not learn anything about it from the audit.
function refuseAdminSecret(ctx: AuditContext, secret: { arn: string; name: string }): void {
  const admin = ctx.adminSecretId;
  if (admin === undefined) return;
  // FACTIFY_ADMIN_SECRET_ID is an ARN, a name, or an ARN without Secrets Manager's six random characters.
  const same =
    admin === secret.arn ||
    admin === secret.name ||
    (secret.arn.startsWith(`${admin}-`) && secret.arn.length === admin.length + 7);
  if (same) throw new AdminSecretRefusedError();
}

async function auditOne(ctx: AuditContext, secretId: string): Promise<AuditedSecret> {
  const log = ctx.log.child({ secretId });
  try {
    const { report } = await inspectSecret(ctx, secretId);
    const secretLog = log.child({ secretId: report.secret.arn, secretName: report.secret.name });
    for (const finding of report.findings) {
      secretLog.warn('Audit finding', { finding: finding.code, verdict: report.verdict });
    }
    if (report.findings.length === 0)
      secretLog.info('Audit found the secret healthy', { verdict: report.verdict });
    publish(ctx, report);
    return summarise(secretId, report);
  } catch (error) {
    // Only the name and code: a message may name the secret's versions or keys.
    const { name, code } = reportedError(error) as Error & { code: string };
    log.error('Audit could not check the secret', { finding: 'not-checked', error: { name, code } });
    return { secretId, error: { name, code } };
  }
}

function summarise(secretId: string, report: SecretInspection): AuditedSecret {
  const { enabled, lastRotatedDate, nextRotationDate, daysSinceRotation, rotateBy } = report.rotation;
  return {
    secretId,
    secretName: report.secret.name,
    verdict: report.verdict,
    findings: report.findings.map((finding) => ({ code: finding.code })),
    rotation: { enabled, lastRotatedDate, nextRotationDate, daysSinceRotation, rotateBy },
    pendingSince: report.pending?.createdDate ?? null,
    activeKeys: report.factify.activeKeys,
    orphanedKeys: report.orphans.length,
    replacedKeysNotRevoked: report.awaitingRevocation.length,
    scheduledRevocations: report.scheduledRevocations.map(({ revokeAt }) => ({ revokeAt })),
  };
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
