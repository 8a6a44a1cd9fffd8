import type { CommandName } from './args.js';

/**
 * The version of the `--json` documents' schema (docs/operating.md#json-output). Adding a field keeps it;
 * removing or renaming one, or changing what a value means, raises it.
 */
export const JSON_SCHEMA_VERSION = 1;

/** What every `--json` document starts with: scripts check the version before reading anything else. */
export interface JsonEnvelope {
  readonly schemaVersion: typeof JSON_SCHEMA_VERSION;
  /** The command that printed it; null when the command line named none that exists. */
  readonly command: CommandName | 'help' | 'version' | null;
}

/** A failure, as `--json` reports it on stdout: the same message as on stderr, and the exit code. */
export interface JsonError {
  /** Stable: USAGE, a Secrets Manager or AWS condition (SECRET_NOT_FOUND, ...), a Factify or rotation error. */
  readonly code: string;
  readonly message: string;
  readonly exitCode: number;
}

/** One `--json` document: the envelope, then the command's fields. */
export function jsonDocument(command: JsonEnvelope['command'], body: object): string {
  const envelope: JsonEnvelope = { schemaVersion: JSON_SCHEMA_VERSION, command };
  return JSON.stringify({ ...envelope, ...body }, null, 2);
}
