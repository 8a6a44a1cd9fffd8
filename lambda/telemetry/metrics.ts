/**
 * CloudWatch metrics as embedded metric format (EMF) lines in the function's own log: CloudWatch Logs
 * extracts them, so publishing costs no API call and no permission. Each line is one JSON object written
 * straight to stdout (not through console, which Lambda's JSON log format would wrap and so hide from
 * extraction), following the EMF specification: `_aws.Timestamp` in epoch milliseconds, one MetricDirective
 * per dimension set, each metric a root member holding a number.
 */

import { redact } from './redaction.js';

export const DEFAULT_METRICS_NAMESPACE = 'FactifyKeyRotation';
/** The dimension every metric carries: the rotated secret's name. */
export const SECRET_NAME_DIMENSION = 'SecretName';

type MetricUnit = 'Count' | 'Milliseconds' | 'None';

/** The metrics the function publishes, and their units: the stack's alarms and dashboard use the same names. */
export const METRIC_UNITS = {
  // Every rotation step and scheduled revocation (also per Step).
  StepSucceeded: 'Count',
  StepFailed: 'Count',
  StepDuration: 'Milliseconds',
  RotationsCompleted: 'Count',
  /** Age in days of a replaced key at the moment it is revoked. */
  ReplacedKeyAgeDays: 'None',
  /** 429 answers from Factify, and retries of any Factify request (429, 5xx, network). */
  FactifyThrottles: 'Count',
  FactifyRetries: 'Count',
  // The daily audit, per secret.
  DaysSinceRotation: 'None',
  RotationOverdue: 'Count',
  RotationStuck: 'Count',
  CurrentKeyNotActive: 'Count',
  OrphanedKeys: 'Count',
  ReplacedKeysNotRevoked: 'Count',
  ActiveKeys: 'Count',
} as const satisfies Record<string, MetricUnit>;

export type MetricName = keyof typeof METRIC_UNITS;

/**
 * The audit's fleet metrics, published with no dimension (an empty dimension set), so that a fixed set of
 * alarms watches any number of secrets. Counts of secrets, but OrphanedKeys counts keys.
 */
export const FLEET_METRICS = [
  'SecretsAudited',
  'SecretsOverdue',
  'SecretsStuck',
  'SecretsCurrentKeyNotActive',
  'SecretsReplacedKeyNotRevoked',
  'SecretsNearKeyLimit',
  'OrphanedKeys',
  'SecretsNotChecked',
] as const;

export type FleetMetricName = (typeof FLEET_METRICS)[number];

/** The EMF line of the audit's fleet metrics: one document whose only dimension set is empty. */
export function fleetMetricsLine(
  namespace: string,
  timestamp: number,
  values: Readonly<Record<FleetMetricName, number>>,
): string {
  return emfLine(
    namespace,
    timestamp,
    {},
    FLEET_METRICS.map((name) => [name, values[name], 'Count']),
  );
}

// EMF allows 100 metrics per directive (we have fewer) and dimension values of at most 1024 characters.
const MAX_DIMENSION_VALUE = 1024;

/**
 * The metrics of one secret, gathered during an invocation and written as EMF lines by `flush`. Values put
 * twice under the same name add up (counts) for counters and are replaced for gauges.
 */
export class SecretMetrics {
  readonly #values = new Map<MetricName, number>();
  readonly #perStep = new Map<MetricName, number>();
  #step: string | undefined;

  constructor(
    readonly secretName: string,
    private readonly namespace: string = DEFAULT_METRICS_NAMESPACE,
  ) {}

  /** Also publishes the step metrics under the Step dimension. */
  forStep(step: string): this {
    this.#step = step;
    return this;
  }

  count(name: MetricName, increment = 1): void {
    this.#values.set(name, (this.#values.get(name) ?? 0) + increment);
  }

  set(name: MetricName, value: number): void {
    if (Number.isFinite(value)) this.#values.set(name, value);
  }

  /** Step outcome and duration, which are also published per Step. */
  stepOutcome(succeeded: boolean, durationMs: number): void {
    for (const [name, value] of [
      ['StepSucceeded', succeeded ? 1 : 0],
      ['StepFailed', succeeded ? 0 : 1],
      ['StepDuration', Math.round(durationMs)],
    ] as const) {
      this.#values.set(name, value);
      this.#perStep.set(name, value);
    }
  }

  /** The EMF lines (without newlines); empty when nothing was recorded. */
  lines(timestamp: number): string[] {
    const dimensionValue = printableDimension(this.secretName);
    const lines =
      this.#values.size === 0
        ? []
        : [
            emfLine(
              this.namespace,
              timestamp,
              { [SECRET_NAME_DIMENSION]: dimensionValue },
              withUnits(this.#values),
            ),
          ];
    if (this.#step !== undefined && this.#perStep.size > 0) {
      lines.push(
        emfLine(
          this.namespace,
          timestamp,
          { [SECRET_NAME_DIMENSION]: dimensionValue, Step: printableDimension(this.#step) },
          withUnits(this.#perStep),
        ),
      );
    }
    return lines;
  }

  /** Writes the metrics to stdout and forgets them. */
  flush(now: () => Date = () => new Date()): void {
    const lines = this.lines(now().getTime());
    this.#values.clear();
    this.#perStep.clear();
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  }
}

function withUnits(values: ReadonlyMap<MetricName, number>): [MetricName, number, MetricUnit][] {
  return [...values].map(([name, value]) => [name, value, METRIC_UNITS[name]]);
}

function emfLine(
  namespace: string,
  timestamp: number,
  dimensions: Record<string, string>,
  metrics: [name: string, value: number, unit: MetricUnit][],
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          // No dimension (the fleet's metrics) is one empty dimension set, [[]].
          Dimensions: [Object.keys(dimensions)],
          Metrics: metrics.map(([name, , unit]) => ({ Name: name, Unit: unit })),
        },
      ],
    },
    ...dimensions,
    ...Object.fromEntries(metrics.map(([name, value]) => [name, value])),
  });
}

// Dimension values must be non-empty ASCII without control characters.
// Metric lines bypass the Logger, so they are redacted here: a key pasted as the SecretId must not become a
// dimension that anyone who may list metrics can read.
function printableDimension(value: string): string {
  const ascii = redact(value)
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, MAX_DIMENSION_VALUE);
  return ascii.trim() === '' ? 'unknown' : ascii;
}
