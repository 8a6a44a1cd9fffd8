import { redact } from './redaction.js';

type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
type Fields = Record<string, unknown>;

const LEVELS: Record<Level, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

/**
 * Structured JSON logs, one line per entry, with the invocation's keys (secretId, step, versionId) on every
 * line. Every line goes through `redact`, so neither a key nor the RotationToken can reach CloudWatch.
 * Lambda's AWS_LAMBDA_LOG_LEVEL (set by the function's application log level) filters entries.
 */
export class Logger {
  readonly #keys: Fields;
  readonly #minimum: number;

  constructor(keys: Fields = {}, level = process.env.AWS_LAMBDA_LOG_LEVEL ?? process.env.LOG_LEVEL) {
    this.#keys = keys;
    this.#minimum = LEVELS[(level?.toUpperCase() as Level) ?? 'INFO'] ?? LEVELS.INFO;
  }

  /** A logger that adds `keys` to every line. */
  child(keys: Fields): Logger {
    return new Logger({ ...this.#keys, ...keys }, levelName(this.#minimum));
  }

  debug(message: string, fields?: Fields): void {
    this.#write('DEBUG', message, fields);
  }

  info(message: string, fields?: Fields): void {
    this.#write('INFO', message, fields);
  }

  warn(message: string, fields?: Fields): void {
    this.#write('WARN', message, fields);
  }

  error(message: string, fields?: Fields): void {
    this.#write('ERROR', message, fields);
  }

  #write(level: Level, message: string, fields: Fields | undefined): void {
    if (LEVELS[level] < this.#minimum) return;
    const entry = { timestamp: new Date().toISOString(), level, message, ...this.#keys, ...fields };
    process.stdout.write(`${redact(JSON.stringify(entry, errorReplacer))}\n`);
  }
}

function levelName(value: number): Level {
  return (Object.keys(LEVELS) as Level[]).find((name) => LEVELS[name] === value) ?? 'INFO';
}

// Errors serialise as {} by default; keep what an operator needs, never the raw request.
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  return value;
}
