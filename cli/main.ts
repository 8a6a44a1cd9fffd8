import { RotationError } from '../lambda/telemetry/errors.js';
import packageJson from '../package.json' with { type: 'json' };
import {
  COMMAND_USAGE,
  type Command,
  type CommandName,
  commandNamed,
  parseCommandLine,
  USAGE,
  wantsJson,
} from './args.js';
import { type CliIo, createContext } from './cli-context.js';
import { CliError, UsageError } from './cli-error.js';
import { recover } from './commands/recover.js';
import { rotate } from './commands/rotate.js';
import { status } from './commands/status.js';
import { EXIT } from './exit-codes.js';
import { formatAge, forTerminal } from './format.js';
import { type JsonError, jsonDocument } from './json-output.js';

/**
 * Runs one command line and returns the exit code. Every failure ends here as one message on stderr (and,
 * with --json, as a JSON error on stdout): the CLI's own errors and the rotation function's typed errors
 * already say what to do; anything else is reported with its name, since a stack trace would not help an
 * operator.
 */
export async function main(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const json = wantsJson(argv);
  const fail = (error: unknown, command: CommandName | null): number => {
    const failure = describe(error);
    const named = command ?? commandNamed(argv) ?? null;
    const help = named === null ? '--help' : `${named} --help`;
    io.stderr(
      `${forTerminal(failure.message)}\n${error instanceof UsageError ? `Run \`npx factify-rotation ${help}\` for usage.\n` : ''}`,
    );
    if (json) io.stdout(`${forTerminal(jsonDocument(named, { error: failure }))}\n`);
    return failure.exitCode;
  };
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return fail(error, null);
  }
  if (command.name === 'help') {
    const text = command.topic === undefined ? USAGE : COMMAND_USAGE[command.topic];
    io.stdout(json ? `${jsonDocument('help', { topic: command.topic ?? null, text })}\n` : text);
    return EXIT.OK;
  }
  if (command.name === 'version') {
    const { version } = packageJson;
    io.stdout(json ? `${jsonDocument('version', { version })}\n` : `factify-rotation ${version}\n`);
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
      return open ? fail(error, run.name) : EXIT.FAILED;
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      open = false;
      resolve(
        fail(
          new CliError(
            `${run.name} did not finish within its deadline of ${formatAge(run.timeoutMs / 1000)} (--timeout) and ` +
              'was stopped: AWS or Factify did not answer in time, or a listing did not end. What it printed is ' +
              'all it did; run it again, or with a longer --timeout.',
            EXIT.FAILED,
            { code: 'DEADLINE_EXCEEDED' },
          ),
          run.name,
        ),
      );
    }, run.timeoutMs);
  });
  try {
    return await Promise.race([execute(), expired]);
  } finally {
    clearTimeout(timer);
    open = false;
  }
}

function describe(error: unknown): JsonError {
  if (error instanceof CliError) {
    return { code: error.code, message: error.message, exitCode: error.exitCode };
  }
  if (error instanceof RotationError) {
    return { code: error.code, message: error.message, exitCode: EXIT.FAILED };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { code: 'UNEXPECTED_ERROR', message, exitCode: EXIT.FAILED };
}
