import type { SecretDetails } from '../ports.js';
import { secretNameOf } from '../settings/arn.js';
import { AdminSecretRefusedError } from '../telemetry/errors.js';
import type { Logger } from '../telemetry/log.js';
import { type FleetMetricName, fleetMetricsLine, SecretMetrics } from '../telemetry/metrics.js';
import { type FleetContext, type FleetSecret, inspectFleet } from './fleet.js';
import type { SecretInspection } from './inspection.js';
import { type FindingCode, urgency, type Verdict } from './verdict.js';

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
  /**
   * Every audited secret, in the order audited; when they would not fit in MAX_ANSWER_BYTES, the most urgent
   * first, as many as fit (the log has a line for every secret).
   */
  readonly secrets: readonly AuditedSecret[];
  /** How many audited secrets the answer leaves off for its size: 0 unless the fleet is some 8,000 secrets. */
  readonly secretsLeftOff: number;
  /** The fleet metrics the audit published. */
  readonly fleet: Record<FleetMetricName, number>;
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
    {
      ...ctx,
      refuseSecret: (secret) => refuseAdminSecret(ctx, secret),
      onChecked: (secret) => logAndPublish(ctx, secret),
    },
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
  const { reported, leftOff } = withinAnswer(secrets.map(summarise));
  return { auditedAt: ctx.now().toISOString(), secrets: reported, secretsLeftOff: leftOff, fleet, summary };
}

/**
 * Lambda answers a synchronous invocation with at most 6 MB. A secret's entry takes about 500 bytes (under
 * 1.9 KB with a 512-character name and every finding), so the entries stop at 4 MB: every secret of a fleet
 * of some 8,000, and never an answer Lambda refuses, whatever the fleet.
 */
export const MAX_ANSWER_BYTES = 4_000_000;

/** Every entry when they fit; otherwise the most urgent first (not checked counts as unknown), as many as fit. */
export function withinAnswer(entries: readonly AuditedSecret[]): {
  reported: AuditedSecret[];
  leftOff: number;
} {
  const sizes = entries.map((entry) => Buffer.byteLength(JSON.stringify(entry)) + 1);
  if (sizes.reduce((sum, size) => sum + size, 0) <= MAX_ANSWER_BYTES)
    return { reported: [...entries], leftOff: 0 };
  const rank = (entry: AuditedSecret) => urgency('error' in entry ? 'unknown' : entry.verdict);
  const order = entries
    .map((_, index) => index)
    .sort((a, b) => rank(entries[a] as AuditedSecret) - rank(entries[b] as AuditedSecret));
  const kept: number[] = [];
  let used = 0;
  for (const index of order) {
    const size = sizes[index] as number;
    if (used + size > MAX_ANSWER_BYTES) break;
    used += size;
    kept.push(index);
  }
  return {
    reported: kept.map((index) => entries[index] as AuditedSecret),
    leftOff: entries.length - kept.length,
  };
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

function summarise(secret: FleetSecret): AuditedSecret {
  if ('error' in secret) {
    // Only the name and code: a message may name the secret's versions or keys.
    return { secretId: secret.secretId, error: { name: secret.error.name, code: secret.error.code } };
  }
  const { enabled, lastRotatedDate, nextRotationDate, daysSinceRotation, rotateBy } = secret.rotation;
  return {
    secretId: secret.secretId,
    secretName: secret.secret.name,
    verdict: secret.verdict,
    findings: secret.findings.map((finding) => ({ code: finding.code })),
    rotation: { enabled, lastRotatedDate, nextRotationDate, daysSinceRotation, rotateBy },
    pendingSince: secret.pending?.createdDate ?? null,
    activeKeys: secret.factify.activeKeys,
    orphanedKeys: secret.orphans.length,
    replacedKeysNotRevoked: secret.awaitingRevocation.length,
    scheduledRevocations: secret.scheduledRevocations.map(({ revokeAt }) => ({ revokeAt })),
  };
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
    const { name, code } = secret.error;
    log.error('Audit could not check the secret', { finding: 'not-checked', error: { name, code } });
    return;
  }
  const secretLog = log.child({ secretId: secret.secret.arn, secretName: secret.secret.name });
  for (const finding of secret.findings) {
    secretLog.warn('Audit finding', { finding: finding.code, verdict: secret.verdict });
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
