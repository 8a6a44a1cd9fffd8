import { EXIT } from './exit-codes.js';

/**
 * A failure the CLI reports as a single message, without a stack trace: what happened and what to do.
 * Like the function's errors, its message never contains a key.
 */
export class CliError extends Error {
  /** Stable, for scripts reading `--json` errors: what went wrong, in a word or three. */
  readonly code: string;

  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILED,
    options?: { cause?: unknown; code?: string },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = options?.code ?? 'COMMAND_FAILED';
  }
}

/** The command line is wrong; the message is followed by the usage. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.USAGE, { code: 'USAGE' });
  }
}
