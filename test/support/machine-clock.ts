/**
 * The variables through which libfaketime moves this machine's clock (CI's moved-clock check). A child
 * started with an explicit environment gets them too, so that it reads the same clock as this process, as
 * every process on one machine does. Outside that check there are none.
 */
export function machineClockEnvironment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined &&
        (entry[0] === 'LD_PRELOAD' || entry[0] === 'DONT_FAKE_MONOTONIC' || entry[0].startsWith('FAKETIME')),
    ),
  );
}
