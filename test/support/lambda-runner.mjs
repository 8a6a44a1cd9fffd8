// A minimal stand-in for the Lambda Node.js runtime: one cold invocation of the built bundle in this
// process. It gives the handler a context with a deadline and reports the outcome to the parent over IPC,
// printing a failure the way the Lambda runtime does (every enumerable field of the thrown error), so that
// tests see every line Lambda would log. The report carries the process's peak RSS (KiB) for the benchmark
// and the Node.js version it ran on.
import { pathToFileURL } from 'node:url';
import { runtimeErrorLog } from './runtime-error-log.mjs';

const { bundle, event, timeoutMs, functionArn, requestId } = JSON.parse(
  process.env.LAMBDA_RUNNER_INVOCATION ?? '{}',
);
delete process.env.LAMBDA_RUNNER_INVOCATION;
const deadline = Date.now() + timeoutMs;
const context = {
  awsRequestId: requestId,
  functionName: functionArn.split(':').at(-1),
  invokedFunctionArn: functionArn,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};

const maxRssKb = () => process.resourceUsage().maxRSS;
const nodeVersion = process.version;

const timer = setTimeout(() => {
  process.stdout.write(
    `${JSON.stringify({ level: 'ERROR', message: `Task timed out after ${timeoutMs / 1000} seconds` })}\n`,
  );
  process.send({ ok: false, timedOut: true, maxRssKb: maxRssKb(), nodeVersion }, () => process.exit(1));
}, timeoutMs);

try {
  const { handler } = await import(pathToFileURL(bundle).href);
  const result = await handler(event, context);
  clearTimeout(timer);
  process.send({ ok: true, result: result ?? null, maxRssKb: maxRssKb(), nodeVersion }, () =>
    process.exit(0),
  );
} catch (error) {
  clearTimeout(timer);
  const report = {
    errorType: error?.name ?? 'Error',
    errorMessage: error?.message ?? String(error),
    code: error?.code,
    fields: typeof error === 'object' && error !== null ? Object.keys(error) : [],
  };
  process.stderr.write(`${runtimeErrorLog(error)}\n`);
  process.send({ ok: false, error: report, maxRssKb: maxRssKb(), nodeVersion }, () => process.exit(1));
}
