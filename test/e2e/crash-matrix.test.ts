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

// Recorded while vitest collects the file, since the cases are the recording's calls. A configuration whose
// clean rotation fails has no cases, and its recording test reports why.
const recordings = await Promise.all(
  CONFIGURATIONS.map(async (configuration) => {
    try {
      return { configuration, recording: await recordRotation(configuration) };
    } catch (error) {
      return { configuration, recording: [], error };
    }
  }),
);

// Each crash point is a few fresh function processes, mostly CPU: run as many at once as there are cores,
// plus one to cover process start-up waits, whatever vitest's own concurrency limit.
const LANES = Number(process.env.CRASH_MATRIX_CONCURRENCY) || availableParallelism() + 1;
let busy = 0;
const waiting: (() => void)[] = [];
async function inLane(run: () => Promise<void>): Promise<void> {
  if (busy < LANES) busy++;
  else await new Promise<void>((resolve) => waiting.push(resolve)); // the finishing case hands its lane over
  try {
    await run();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else busy--;
  }
}
// Generous, as a case may wait for a lane on a loaded machine: it bounds a hung case, it times nothing.
const CASE_TIMEOUT_MS = 300_000;

const passed: string[] = [];

afterAll(() => {
  const counts = recordings.map(({ configuration, recording }) => ({
    name: configuration.name,
    points: crashPoints(recording).length,
  }));
  const total = counts.reduce((sum, { points }) => sum + points, 0);
  const each = counts.map(({ name, points }) => `${name} ${points}`).join(', ');
  console.log(`Crash matrix: ${total} crash points (${each}); ${passed.length} passed.`);
});

describe.concurrent.each(recordings.map((entry) => [entry.configuration.name, entry] as const))(
  'crash matrix, %s',
  (_name, { configuration, recording, error }) => {
    it('records a clean rotation, with calls in every step', () => {
      if (error !== undefined) throw error;
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
        passed.push(`${configuration.name} > ${name}`);
      },
      CASE_TIMEOUT_MS,
    );
  },
);
