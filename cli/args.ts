import { parseArgs } from 'node:util';
import { UsageError } from './cli-error.js';

const EXIT_CODES_HELP = `Exit codes (status, and recover for the state it leaves; with several secrets, the most urgent):
  0 healthy, 3 rotation in progress, 4 orphans present, 5 stuck, 6 current key not active,
  7 rotation disabled, unscheduled or overdue, 1 failed or Factify could not be checked,
  2 wrong command line.`;

const ENVIRONMENT_HELP = `AWS credentials and region come from the standard AWS environment (AWS_PROFILE, AWS_REGION, ...).
FACTIFY_API_URL and FACTIFY_ADMIN_SECRET_ID are read as the rotation function reads them.`;

const ADMIN_OPTION_HELP = `  --admin-secret-id <id>  secret whose apiKey manages Factify keys (default: FACTIFY_ADMIN_SECRET_ID,
                          else the secret's own AWSCURRENT key)`;
const TIMEOUT_OPTION_HELP = `  --timeout <duration>    the command's deadline, a number and a unit: 90s, 15m or 1h (default 10m);
                          it stops there, whatever AWS or Factify do`;
const JSON_OPTION_HELP =
  '  --json                  print one JSON document on stdout, errors included (docs/operating.md#json-output)';

export const USAGE = `Usage: factify-rotation <command> <secret-id> [options]

See and fix the rotation of an AWS Secrets Manager secret that holds a Factify API key.

Commands:
  status <secret-id>... rotation settings, each version and its key at Factify, leftover keys, findings
                        and a verdict, for each secret named (the same checks as the daily audit)
  status --function <name-or-arn>
                        the same for every secret that this rotation function rotates (the stack's)
  status --all <name-or-arn>
                        the fleet table of every secret that function rotates: the daily audit's counts
                        (its fleet metrics), then one line per secret
  rotate <secret-id>    start a rotation through Secrets Manager
  recover <secret-id>   fix a stuck rotation: take AWSPENDING off the stray version and revoke
                        the keys this secret's rotations left active (asks for confirmation)
  help [command]        this help, or a command's options

Options:
${JSON_OPTION_HELP}
  -h, --help              show this help; with a command, that command's help
  -v, --version           print the version of factify-rotation

Run \`factify-rotation <command> --help\` (or \`factify-rotation help <command>\`) for a command's options.

${EXIT_CODES_HELP}

${ENVIRONMENT_HELP}
`;

/** Each command's own help, printed by `<command> --help`, `<command> -h` and `help <command>`. */
export const COMMAND_USAGE = {
  status: `Usage: factify-rotation status <secret-id>... [options]
       factify-rotation status --function <name-or-arn> [options]
       factify-rotation status --all <name-or-arn> [options]

Shows each secret's rotation settings, its versions and their keys at Factify, leftover keys, findings and a
verdict: the same checks as the daily audit. Changes nothing.

Options:
${JSON_OPTION_HELP}
  --function <name|arn>   every secret whose rotation function this is (needs secretsmanager:ListSecrets)
  --all                   the fleet table of those secrets: the daily audit's counts, then one line per
                          secret (the function as --function or after --all)
${TIMEOUT_OPTION_HELP}
${ADMIN_OPTION_HELP}
  -h, --help              show this help

${EXIT_CODES_HELP}

${ENVIRONMENT_HELP}
`,
  rotate: `Usage: factify-rotation rotate <secret-id> [--wait [--timeout <duration>]] [options]

Starts a rotation through Secrets Manager (RotateSecret), after checking what would make it fail at once.

Options:
  --wait                  follow the rotation until it is promoted and finished, or fails
  --timeout <duration>    the command's deadline, a number and a unit: 90s, 15m or 1h (default 10m);
                          --wait follows the rotation until a third of it (at most 15 s) is left
${JSON_OPTION_HELP}
${ADMIN_OPTION_HELP}
  -h, --help              show this help

Exit codes: 0 started (with --wait: promoted), 1 failed, abandoned or not finished in time,
  2 wrong command line.

${ENVIRONMENT_HELP}
`,
  recover: `Usage: factify-rotation recover <secret-id> [--yes] [--force] [options]

Fixes a stuck rotation: takes AWSPENDING off the stray version and revokes the keys this secret's rotations
left active (never another application's key, never the current one). Shows the plan and asks before it
changes anything.

Options:
  -y, --yes               do not ask for confirmation (needed where no one can answer, and with --json)
  --force                 also recover a rotation that may still be running (AWSPENDING on a version
                          younger than 15 minutes)
${TIMEOUT_OPTION_HELP}
${JSON_OPTION_HELP}
${ADMIN_OPTION_HELP}
  -h, --help              show this help

${EXIT_CODES_HELP}

${ENVIRONMENT_HELP}
`,
} as const;

export type CommandName = keyof typeof COMMAND_USAGE;

interface Common {
  readonly secretId: string;
  /** --timeout: the deadline of the whole command. */
  readonly timeoutMs: number;
  /** --admin-secret-id; FACTIFY_ADMIN_SECRET_ID is the fallback, applied with the rest of the configuration. */
  readonly adminSecretId?: string;
  /** --json: one document on stdout (cli/json-output.ts), errors included. */
  readonly json: boolean;
}

export type Command =
  /** The global help, or with `topic` that command's. */
  | { readonly name: 'help'; readonly topic?: CommandName; readonly json: boolean }
  | { readonly name: 'version'; readonly json: boolean }
  | {
      readonly name: 'status';
      /** The secrets named, or none with `functionName`. */
      readonly secretIds: readonly string[];
      /** --function: every secret this rotation function rotates. */
      readonly functionName?: string;
      /** --all: the fleet table of every secret `functionName` rotates. */
      readonly fleet?: boolean;
      readonly adminSecretId?: string;
      readonly json: boolean;
      readonly timeoutMs: number;
    }
  | (Common & { readonly name: 'rotate'; readonly wait: boolean })
  | (Common & { readonly name: 'recover'; readonly yes: boolean; readonly force: boolean });

const OPTIONS = {
  json: { type: 'boolean' },
  function: { type: 'string' },
  all: { type: 'boolean' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  force: { type: 'boolean' },
  'admin-secret-id': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** Options every command takes. */
const GLOBAL_OPTIONS: readonly (keyof typeof OPTIONS)[] = ['json', 'help', 'admin-secret-id'];

/** Which options each command accepts, besides the global ones. */
const COMMAND_OPTIONS: Record<CommandName, readonly (keyof typeof OPTIONS)[]> = {
  status: ['function', 'all', 'timeout'],
  rotate: ['wait', 'timeout'],
  recover: ['yes', 'force', 'timeout'],
};

const COMMANDS = Object.keys(COMMAND_OPTIONS) as CommandName[];

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

// Own properties only: "constructor" or "__proto__" must be unknown commands, not Object.prototype's.
function isCommandName(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(COMMAND_OPTIONS, name);
}

function unknownCommand(name: string | undefined): UsageError {
  return new UsageError(`Unknown command "${name}". Commands: ${COMMANDS.join(', ')}, help.`);
}

/**
 * Whether the command line asks for JSON, read without parsing it: a command line that does not parse
 * still gets its error as JSON.
 */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** The command a command line names, known or not parseable: for the `command` field of a JSON error. */
export function commandNamed(argv: readonly string[]): CommandName | undefined {
  const name = argv.find((arg) => !arg.startsWith('-'));
  return isCommandName(name) ? name : undefined;
}

/** Parses the command line (without `node` and the script), or throws UsageError naming the problem. */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs' own messages are clear ("Unknown option '--jsn'"); keep only their first sentence.
    throw new UsageError(String((error as Error).message).split('. ')[0] ?? 'Invalid command line');
  }
  const { values, positionals } = parsed;
  const json = values.json === true;
  const [name, ...secretIds] = positionals;
  if (name === 'help') {
    const [topic, ...extra] = secretIds;
    if (topic !== undefined && !isCommandName(topic)) throw unknownCommand(topic);
    if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}".`);
    return { name: 'help', json, ...(topic === undefined ? {} : { topic }) };
  }
  if (values.version) {
    if (positionals.length > 0) throw new UsageError('--version takes no command.');
    return { name: 'version', json };
  }
  if (name === undefined) return { name: 'help', json };
  if (!isCommandName(name)) throw unknownCommand(name);
  // `<command> --help` is that command's help, whatever else the line says.
  if (values.help) return { name: 'help', topic: name, json };

  const allowed = COMMAND_OPTIONS[name];
  for (const option of Object.keys(values) as (keyof typeof OPTIONS)[]) {
    if (!GLOBAL_OPTIONS.includes(option) && !allowed.includes(option)) {
      throw new UsageError(`${name} does not take --${option}.`);
    }
  }
  const adminSecretId = values['admin-secret-id']?.trim();
  const admin = adminSecretId ? { adminSecretId } : {};
  const timeoutMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(values.timeout);
  const functionName = values.function?.trim();
  if (name === 'status' && values.all) {
    const target = functionName ?? (secretIds.length === 1 ? secretIds[0]?.trim() : undefined);
    if (!target || (functionName !== undefined && secretIds.length > 0)) {
      throw new UsageError(
        'status --all needs the rotation function, and only it: factify-rotation status --all <function-name-or-arn>.',
      );
    }
    return { name, secretIds: [], functionName: target, fleet: true, json, timeoutMs, ...admin };
  }
  if (name === 'status' && functionName !== undefined) {
    if (functionName === '')
      throw new UsageError('--function needs the name or ARN of the rotation function.');
    if (secretIds.length > 0) throw new UsageError('status takes secrets or --function, not both.');
    return { name, secretIds: [], functionName, json, timeoutMs, ...admin };
  }
  const [secretId, ...extra] = secretIds;
  if (secretId === undefined || secretIds.some((id) => id.trim() === '')) {
    throw new UsageError(`${name} needs a secret: factify-rotation ${name} <secret-id (ARN or name)>.`);
  }
  if (name === 'status') return { name, secretIds, json, timeoutMs, ...admin };
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}".`);

  const common: Common = { secretId, json, timeoutMs, ...admin };
  if (name === 'rotate') return { ...common, name, wait: values.wait === true };
  return { ...common, name, yes: values.yes === true, force: values.force === true };
}

const DURATION_UNITS_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** "90s", "15m", "1h": a unit is required, since a bare "10" could mean seconds or minutes. */
function parseDuration(text: string): number {
  const match = /^(\d+)(s|m|h)$/.exec(text.trim());
  if (!match) {
    throw new UsageError(
      /^\d+$/.test(text.trim())
        ? `--timeout needs a unit: ${text.trim()}s, ${text.trim()}m or ${text.trim()}h, not "${text}".`
        : `--timeout must be a positive duration such as 90s, 15m or 1h, not "${text}".`,
    );
  }
  const amount = Number(match[1]);
  if (amount <= 0) {
    throw new UsageError(`--timeout must be a positive duration such as 90s, 15m or 1h, not "${text}".`);
  }
  return amount * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS];
}
