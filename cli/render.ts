import type { SecretInspection } from '../lambda/health/inspection.js';
import type { FleetMetricName } from '../lambda/telemetry/metrics.js';
import { formatDate } from './format.js';
import type { LeftoverKey, StatusReport } from './status-report.js';

const LABEL_WIDTH = 12;
const WRAP_AT = 100;

/** The status report for a terminal: settings, a table of versions, leftover keys, the verdict. */
export function renderStatus(report: StatusReport): string {
  const { rotation, factify } = report;
  const lines: string[] = [];
  const field = (label: string, ...values: string[]) => {
    values.forEach((value, index) => {
      lines.push(`${(index === 0 ? label : '').padEnd(LABEL_WIDTH)}${value}`);
    });
  };

  field('Secret', report.secret.name);
  field('ARN', report.secret.arn);
  field('Region', report.region);
  field(
    'Rotation',
    [
      rotation.enabled ? 'enabled' : rotation.function ? 'disabled' : 'not configured',
      rotation.schedule,
      rotation.window && `window ${rotation.window}`,
    ]
      .filter(Boolean)
      .join(', '),
    ...(rotation.function ? [`function ${rotation.function}`] : []),
    `last rotated ${rotation.lastRotatedDate ? formatDate(rotation.lastRotatedDate) : 'never'}, ` +
      `next ${rotation.nextRotationDate ? formatDate(rotation.nextRotationDate) : 'not scheduled'}`,
    ...(rotation.daysSinceRotation === null
      ? []
      : [
          `current version ${rotation.daysSinceRotation} days old` +
            (rotation.rotateBy ? `, to be replaced by ${formatDate(rotation.rotateBy)}` : ''),
        ]),
  );
  field(
    'Keys',
    report.keyManager.kind === 'self'
      ? 'managed by the AWSCURRENT key itself (self-rotation)'
      : `managed by the admin key in ${report.keyManager.secretId}`,
  );
  field(
    'Factify',
    factify.error === null
      ? `organization ${factify.organizationId ?? '-'}, ${factify.activeKeys} of ${factify.activeKeyLimit} keys active`
      : 'could not be checked (see the verdict)',
  );

  lines.push('', 'Versions');
  lines.push(
    ...table(
      ['VERSION', 'LABELS', 'CREATED', 'KEY', 'AT FACTIFY'],
      report.versions.map((version) => [
        version.versionId,
        version.stages.join(', '),
        formatDate(version.createdDate),
        version.keyId ?? '-',
        version.revokedComment ? `${version.keyState} ("${version.revokedComment}")` : version.keyState,
      ]),
    ).map((row) => `  ${row}`),
  );

  lines.push(
    '',
    ...leftovers("Orphaned keys (made by this secret's rotations, held by no version)", report.orphans),
  );
  if (report.awaitingRevocation.length > 0) {
    lines.push(...leftovers('Replaced keys not yet revoked (AWSPREVIOUS)', report.awaitingRevocation));
  }
  for (const key of report.scheduledRevocations) {
    lines.push(
      `Replaced key ${key.keyId} is in its grace period: a schedule revokes it at ${formatDate(key.revokeAt)}.`,
    );
  }

  if (report.findings.length > 0) {
    lines.push('', 'Findings');
    for (const finding of report.findings) {
      lines.push(
        ...wrap(`${finding.code}: ${finding.message}`, WRAP_AT - 4).map(
          (line, index) => `${index === 0 ? '  - ' : '    '}${line}`,
        ),
      );
    }
  }

  lines.push('');
  field('Verdict', report.verdict);
  field('', ...wrap(report.explanation, WRAP_AT - LABEL_WIDTH));
  if (report.nextSteps.length > 0) field('Next', ...report.nextSteps);
  return lines.join('\n');
}

/** What each of the audit's fleet counts means, in the order the audit publishes them. */
const FLEET_ROWS: Readonly<Record<FleetMetricName, string>> = {
  SecretsAudited: 'secrets checked',
  SecretsOverdue: 'rotation off, unscheduled or overdue',
  SecretsStuck: 'rotation stuck',
  SecretsCurrentKeyNotActive: 'current key not active at Factify',
  SecretsReplacedKeyNotRevoked: 'replaced key still active, no revocation pending',
  SecretsNearKeyLimit: "organization near Factify's 5 active keys",
  OrphanedKeys: "orphaned keys (made by a secret's rotations, held by none)",
  SecretsNotChecked: 'secrets not checked',
};

/** The fleet table: the daily audit's counts (the fleet metrics it publishes), by metric name. */
export function renderFleet(functionName: string, counts: Readonly<Record<FleetMetricName, number>>): string {
  const rows = (Object.keys(FLEET_ROWS) as FleetMetricName[]).map((name) => [
    name,
    String(counts[name]),
    FLEET_ROWS[name],
  ]);
  return [
    `Fleet of ${functionName}`,
    ...table(['METRIC', 'COUNT', 'MEANING'], rows).map((row) => `  ${row}`),
    '',
  ].join('\n');
}

/** One line per secret: its verdict and findings, or why it could not be inspected. */
export function renderSummary(
  secretIds: readonly string[],
  results: readonly (SecretInspection | { secretId: string; error: string })[],
): string {
  const rows = results.map((result, index) =>
    'error' in result
      ? [secretIds[index] ?? result.secretId, 'not checked', result.error]
      : [
          result.secret.name,
          result.verdict,
          result.findings.map((finding) => finding.code).join(', ') || '-',
        ],
  );
  return ['Summary', ...table(['SECRET', 'VERDICT', 'FINDINGS'], rows).map((row) => `  ${row}`)].join('\n');
}

function leftovers(title: string, keys: readonly LeftoverKey[]): string[] {
  if (keys.length === 0) return [`${title}: none`];
  return [
    `${title}:`,
    ...table(
      ['KEY', 'NAME', 'CREATED'],
      keys.map((key) => [key.keyId, key.name, formatDate(key.createdAt || null)]),
    ).map((row) => `  ${row}`),
  ];
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  return [header, ...rows].map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  '),
  );
}

/** Splits text into lines of at most `width` characters, at spaces. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
