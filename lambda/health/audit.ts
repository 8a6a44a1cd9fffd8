import type { SecretDetails } from '../ports.js';
import { secretNameOf } from '../settings/arn.js';
import type { Logger } from '../telemetry/log.js';
import { type FleetMetricName, fleetMetricsLine, SecretMetrics } from '../telemetry/metrics.js';
import { type FleetContext, type FleetSecret, inspectFleet } from './fleet.js';
import type { SecretInspection } from './inspection.js';
import type { FindingCode } from './verdict.js';

/** One audited secret: its inspection, or why it could not be checked. */
export type AuditedSecret = FleetSecret;

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

export interface AuditContext extends Omit<FleetContext, 'onChecked'> {
  readonly log: Logger;
  readonly metricsNamespace: string;
}

const OVERDUE_FINDINGS: readonly FindingCode[] = [
  'rotation-disabled',
  'rotation-not-scheduled',
  'rotation-overdue',
];

/**
 * The daily audit of `toAudit` (ids, or secrets as ListSecrets described them): inspects each secret with the same code as `factify-rotation status`, logs
 * one line per finding, publishes each secret's health metrics and then the fleet's (no dimension), and
 * returns the report. It only reads. A secret that cannot be checked, or that time ran out for, is reported
 * as not checked (and publishes nothing per secret); the others are still audited.
 */
export async function runAudit(
  ctx: AuditContext,
  toAudit: readonly (string | SecretDetails)[],
): Promise<AuditReport> {
  const { secrets, factifyListings } = await inspectFleet(
    { ...ctx, onChecked: (secret) => logAndPublish(ctx, secret) },
    toAudit,
  );
  const checked = secrets.filter((secret) => !('error' in secret)) as SecretInspection[];
  const fleet = fleetCounts(checked, secrets.length - checked.length);
  process.stdout.write(`${fleetMetricsLine(ctx.metricsNamespace, ctx.now().getTime(), fleet)}\n`);

  const summary = {
    audited: secrets.length,
    healthy: checked.filter((secret) => secret.findings.length === 0).length,
    withFindings: checked.filter((secret) => secret.findings.length > 0).length,
    notChecked: secrets.length - checked.length,
  };
  ctx.log.info('Audit finished', {
    ...summary,
    ...fleet,
    factifyListings,
    outcome: summary.notChecked > 0 ? 'incomplete' : 'completed',
  });
  return { auditedAt: ctx.now().toISOString(), secrets, summary };
}

/** The fleet metrics: how many secrets were checked, and how many of them have each problem. */
export function fleetCounts(
  checked: readonly SecretInspection[],
  notChecked: number,
): Record<FleetMetricName, number> {
  const count = (test: (secret: SecretInspection) => boolean) => checked.filter(test).length;
  const has = (secret: SecretInspection, code: FindingCode) =>
    secret.findings.some((finding) => finding.code === code);
  return {
    SecretsAudited: checked.length,
    SecretsOverdue: count((secret) => OVERDUE_FINDINGS.some((code) => has(secret, code))),
    SecretsStuck: count((secret) => has(secret, 'rotation-stuck')),
    SecretsCurrentKeyNotActive: count((secret) => has(secret, 'current-key-not-active')),
    SecretsReplacedKeyNotRevoked: count((secret) => secret.awaitingRevocation.length > 0),
    SecretsNearKeyLimit: count((secret) => has(secret, 'active-keys-near-limit')),
    OrphanedKeys: checked.reduce((sum, secret) => sum + secret.orphans.length, 0),
    SecretsNotChecked: notChecked,
  };
}

function logAndPublish(ctx: AuditContext, secret: FleetSecret): void {
  const log = ctx.log.child({ secretId: secret.secretId });
  if ('error' in secret) {
    log.error('Audit could not check the secret', { finding: 'not-checked', error: secret.error });
    return;
  }
  const secretLog = log.child({ secretId: secret.secret.arn, secretName: secret.secret.name });
  for (const finding of secret.findings) {
    secretLog.warn('Audit finding', {
      finding: finding.code,
      detail: finding.message,
      verdict: secret.verdict,
    });
  }
  if (secret.findings.length === 0)
    secretLog.info('Audit found the secret healthy', { verdict: secret.verdict });
  publish(ctx, secret);
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
