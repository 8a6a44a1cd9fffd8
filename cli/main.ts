import { RotationError } from '../lambda/telemetry/errors.js';
import { type Command, parseCommandLine, USAGE } from './args.js';
import { type CliIo, createContext } from './cli-context.js';
import { CliError, UsageError } from './cli-error.js';
import { recover } from './commands/recover.js';
import { rotate } from './commands/rotate.js';
import { status } from './commands/status.js';
import { EXIT } from './exit-codes.js';
import { formatAge, forTerminal } from './format.js';

/**
 * Runs one command line and returns the exit code. Every failure ends here as one message on stderr: the
 * CLI's own errors and the rotation function's typed errors already say what to do; anything else is
 * reported with its name, since a stack trace would not help an operator.
 */
export async function main(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`${forTerminal(error.message)}\nRun \`npx factify-rotation --help\` for usage.\n`);
    return error.exitCode;
  }
  if (command.name === 'help') {
    io.stdout(USAGE);
    return EXIT.OK;
  }
  const run = command;
  const deadline = Date.now() + run.timeoutMs;
  // Once the deadline passed, the command may still be waiting on a call: nothing it prints reaches the operator.
  let open = true;
  const gated: CliIo = {
    ...io,
    stdout: (text) => open && io.stdout(text),
    stderr: (text) => open && io.stderr(text),
  };
  async function execute(): Promise<number> {
    try {
      const ctx = await createContext({ ...run, deadline }, gated, env);
      switch (run.name) {
        case 'status':
          return await status(ctx, run);
        case 'rotate':
          return await rotate(ctx, run.secretId, run);
        case 'recover':
          return await recover(ctx, run.secretId, run);
      }
    } catch (error) {
      gated.stderr(`${forTerminal(describe(error))}\n`);
      return error instanceof CliError ? error.exitCode : EXIT.FAILED;
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      open = false;
      io.stderr(
        `${run.name} did not finish within its deadline of ${formatAge(run.timeoutMs / 1000)} (--timeout) and ` +
          'was stopped: AWS or Factify did not answer in time, or a listing did not end. What it printed is all it ' +
          'did; run it again, or with a longer --timeout.\n',
      );
      resolve(EXIT.FAILED);
    }, run.timeoutMs);
  });
  try {
    return await Promise.race([execute(), expired]);
  } finally {
    clearTimeout(timer);
    open = false;
  }
}

function describe(error: unknown): string {
  if (error instanceof CliError || error instanceof RotationError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
