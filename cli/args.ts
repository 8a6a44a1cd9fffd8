import { parseArgs } from 'node:util';
import { UsageError } from './cli-error.js';

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

Options:
  --json                  status: print the report as JSON (with several secrets: {"secrets": [...]})
  --function <name|arn>   status: every secret whose rotation function this is (needs secretsmanager:ListSecrets)
  --all                   status: the fleet table of those secrets (the function as --function or after --all)
  --wait                  rotate: follow the rotation until it is promoted or fails
  --timeout <duration>    rotate --wait: how long to follow it, e.g. 90s or 15m (default 10m)
  -y, --yes               recover: do not ask for confirmation
  --force                 recover: also recover a rotation that may still be running (AWSPENDING
                          on a version younger than 15 minutes)
  --admin-secret-id <id>  secret whose apiKey manages Factify keys (default: FACTIFY_ADMIN_SECRET_ID,
                          else the secret's own AWSCURRENT key)
  -h, --help              show this help

Exit codes of status (and of recover, for the state it leaves); with several secrets, the most urgent:
  0 healthy, 3 rotation in progress, 4 orphans present, 5 stuck, 6 current key not active,
  7 rotation disabled, unscheduled or overdue, 1 failed or Factify could not be checked,
  2 wrong command line.

AWS credentials and region come from the standard AWS environment (AWS_PROFILE, AWS_REGION, ...).
FACTIFY_API_URL and FACTIFY_ADMIN_SECRET_ID are read as the rotation function reads them.
`;

interface Common {
  readonly secretId: string;
  /** --admin-secret-id; FACTIFY_ADMIN_SECRET_ID is the fallback, applied with the rest of the configuration. */
  readonly adminSecretId?: string;
}

export type Command =
  | { readonly name: 'help' }
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
    }
  | (Common & { readonly name: 'rotate'; readonly wait: boolean; readonly timeoutMs: number })
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
} as const;

/** Which options each command accepts, besides --admin-secret-id and --help. */
const COMMAND_OPTIONS: Record<string, readonly (keyof typeof OPTIONS)[]> = {
  status: ['json', 'function', 'all'],
  rotate: ['wait', 'timeout'],
  recover: ['yes', 'force'],
};

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

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
  if (values.help || positionals.length === 0) return { name: 'help' };

  const [name, ...secretIds] = positionals;
  const [secretId, ...extra] = secretIds;
  // Own properties only: "constructor" or "__proto__" must be unknown commands, not Object.prototype's.
  const allowed =
    name !== undefined && Object.hasOwn(COMMAND_OPTIONS, name) ? COMMAND_OPTIONS[name] : undefined;
  if (name === undefined || allowed === undefined) {
    throw new UsageError(`Unknown command "${name}". Commands: status, rotate, recover.`);
  }
  for (const option of Object.keys(values) as (keyof typeof OPTIONS)[]) {
    if (option !== 'admin-secret-id' && option !== 'help' && !allowed.includes(option)) {
      throw new UsageError(`${name} does not take --${option}.`);
    }
  }
  const adminSecretId = values['admin-secret-id']?.trim();
  const functionName = values.function?.trim();
  if (name === 'status' && values.all) {
    const target = functionName ?? (secretIds.length === 1 ? secretIds[0]?.trim() : undefined);
    if (!target || (functionName !== undefined && secretIds.length > 0)) {
      throw new UsageError(
        'status --all needs the rotation function, and only it: factify-rotation status --all <function-name-or-arn>.',
      );
    }
    return {
      name,
      secretIds: [],
      functionName: target,
      fleet: true,
      json: values.json === true,
      ...(adminSecretId ? { adminSecretId } : {}),
    };
  }
  if (name === 'status' && functionName !== undefined) {
    if (functionName === '')
      throw new UsageError('--function needs the name or ARN of the rotation function.');
    if (secretIds.length > 0) throw new UsageError('status takes secrets or --function, not both.');
    return {
      name,
      secretIds: [],
      functionName,
      json: values.json === true,
      ...(adminSecretId ? { adminSecretId } : {}),
    };
  }
  if (secretId === undefined || secretIds.some((id) => id.trim() === '')) {
    throw new UsageError(`${name} needs a secret: factify-rotation ${name} <secret-id (ARN or name)>.`);
  }
  if (name === 'status') {
    return { name, secretIds, json: values.json === true, ...(adminSecretId ? { adminSecretId } : {}) };
  }
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}".`);
  if (values.timeout !== undefined && !values.wait) {
    throw new UsageError('--timeout applies to rotate --wait only.');
  }

  const common: Common = { secretId, ...(adminSecretId ? { adminSecretId } : {}) };
  switch (name) {
    case 'rotate':
      return {
        ...common,
        name,
        wait: values.wait === true,
        timeoutMs: values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(values.timeout),
      };
    default:
      return { ...common, name: 'recover', yes: values.yes === true, force: values.force === true };
  }
}

/** "90s", "15m", "1h", or plain seconds. */
function parseDuration(text: string): number {
  const match = /^(\d+)(s|m|h)?$/.exec(text.trim());
  const unitMs = { s: 1_000, m: 60_000, h: 3_600_000 }[match?.[2] ?? 's'];
  const amount = Number(match?.[1]);
  if (!match || unitMs === undefined || amount <= 0) {
    throw new UsageError(`--timeout must be a positive duration such as 90s, 15m or 1h, not "${text}".`);
  }
  return amount * unitMs;
}
