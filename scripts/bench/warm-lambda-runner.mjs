// A warm Lambda container for the benchmark: one Node.js process that imports the built bundle once and
// then serves invocations sent by the parent over IPC, as a container reused across rotation steps does.
// Unlike a real container it also serves invocations concurrently (the scale run): see scripts/bench/scale.ts.
// It reports what it measured: the import time, each invocation's duration, and on request its peak RSS,
// CPU time and the TCP connections it opened.
import { subscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const { bundle, functionArn } = JSON.parse(process.env.WARM_LAMBDA_RUNNER ?? '{}');
delete process.env.WARM_LAMBDA_RUNNER;

// Every client TCP connection this process opens, to Secrets Manager or Factify (connection reuse).
let connections = 0;
subscribe('net.client.socket', () => {
  connections += 1;
});

const importStarted = performance.now();
const { handler } = await import(pathToFileURL(bundle).href);
const importMs = performance.now() - importStarted;

const reply = (message) => process.send(message);

async function invoke({ id, event, timeoutMs }) {
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  const context = {
    awsRequestId: id,
    functionName: 'factify-key-rotation',
    // As Lambda gives it: the function finds the other secrets it rotates by its own ARN.
    invokedFunctionArn: functionArn,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(event, context);
    reply({ type: 'result', id, ok: true, result: result ?? null, durationMs: performance.now() - started });
  } catch (error) {
    reply({
      type: 'result',
      id,
      ok: false,
      error: {
        errorType: error?.name ?? 'Error',
        errorMessage: error?.message ?? String(error),
        code: error?.code,
      },
      durationMs: performance.now() - started,
    });
  }
}

process.on('message', (message) => {
  if (message.type === 'invoke') {
    void invoke(message);
  } else if (message.type === 'stats') {
    const usage = process.resourceUsage();
    reply({
      type: 'stats',
      importMs,
      maxRssKb: usage.maxRSS,
      cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
      connections,
    });
  } else if (message.type === 'exit') {
    process.exit(0);
  }
});
reply({ type: 'ready', importMs });
