import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CrashPoint,
  crashPoints,
  describeCrashPoint,
  type MatrixConfiguration,
  type RecordedCall,
  recordRotation,
  runCrashPoint,
} from '../support/crash-matrix.js';

/**
 * Crash at every call: for each configuration, a clean rotation of the built bundle is recorded, and every
 * external call each invocation made (Secrets Manager, Factify, Scheduler) becomes a crash point: the
 * process is killed while the call is in flight, once with the call lost and, for a write, once with it
 * applied and its answer lost. Secrets Manager then retries the whole rotation with the same token, and the
 * end state must be an undisturbed rotation's. The list comes from the recording, so a call the function
 * starts making later is crashed too.
 */
const CONFIGURATIONS: MatrixConfiguration[] = [
  { name: 'self-rotation' },
  { name: 'admin secret', admin: true },
  { name: 'grace period', graceSeconds: 3600 },
];

const recordings = await Promise.all(
  CONFIGURATIONS.map(async (configuration) => ({
    configuration,
    recording: await recordRotation(configuration),
  })),
);

const ran: string[] = [];

// Each crash point is a few fresh function processes, mostly CPU: run as many at once as there are cores
// (plus one to cover process start-up waits), whatever vitest's own concurrency limit.
const lanes = Number(process.env.CRASH_MATRIX_CONCURRENCY) || availableParallelism() + 1;
let busy = 0;
const waiting: (() => void)[] = [];
async function inLane(run: () => Promise<void>): Promise<void> {
  if (busy >= lanes) await new Promise<void>((resolve) => waiting.push(resolve));
  busy++;
  try {
    await run();
  } finally {
    busy--;
    waiting.shift()?.();
  }
}
// Generous: a case waits for a lane, and the machine may be loaded. A case that hangs fails here.
const CASE_TIMEOUT_MS = 180_000;

afterAll(() => {
  const total = recordings.reduce((sum, { recording }) => sum + crashPoints(recording).length, 0);
  const perConfiguration = recordings
    .map(({ configuration, recording }) => `${configuration.name} ${crashPoints(recording).length}`)
    .join(', ');
  console.log(`Crash matrix: ran ${ran.length} of ${total} crash points (${perConfiguration}).`);
});

describe.concurrent.each(recordings)('crash matrix, $configuration.name', ({ configuration, recording }) => {
  it('recorded calls of every step', () => {
    expect(new Set(recording.map((call: RecordedCall) => call.step))).toEqual(
      new Set([
        'createSecret',
        'setSecret',
        'testSecret',
        'finishSecret',
        ...(configuration.graceSeconds ? ['revokeReplacedKey'] : []),
      ]),
    );
  });

  it.each(crashPoints(recording).map((point: CrashPoint) => [describeCrashPoint(point), point] as const))(
    '%s',
    async (name, point) => {
      await inLane(() => runCrashPoint(configuration, point));
      ran.push(`${configuration.name} / ${name}`);
    },
    CASE_TIMEOUT_MS,
  );
});
