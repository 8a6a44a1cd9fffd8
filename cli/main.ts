import { RotationError } from '../lambda/telemetry/errors.js';
import { type Command, parseCommandLine, USAGE } from './args.js';
import { type CliIo, createContext } from './cli-context.js';
import { CliError, UsageError } from './cli-error.js';
import { recover } from './commands/recover.js';
import { rotate } from './commands/rotate.js';
import { status } from './commands/status.js';
import { EXIT } from './exit-codes.js';
import { forTerminal } from './format.js';

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
  try {
    const ctx = await createContext(command, io, env);
    switch (command.name) {
      case 'status':
        return await status(ctx, command);
      case 'rotate':
        return await rotate(ctx, command.secretId, command);
      case 'recover':
        return await recover(ctx, command.secretId, command);
    }
  } catch (error) {
    io.stderr(`${forTerminal(describe(error))}\n`);
    return error instanceof CliError ? error.exitCode : EXIT.FAILED;
  }
}

function describe(error: unknown): string {
  if (error instanceof CliError || error instanceof RotationError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
