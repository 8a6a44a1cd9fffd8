import { InvalidEventError } from './errors.js';
import { Sensitive } from './sensitive.js';

export const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type Step = (typeof STEPS)[number];

/** One step of a rotation, as Secrets Manager invokes it. */
export interface RotationStepEvent {
  readonly kind: 'rotation-step';
  readonly step: Step;
  readonly secretId: string;
  /** The id of the version being created; the idempotency key of the whole rotation. */
  readonly token: string;
  /** Present when Secrets Manager sends one; must go back on PutSecretValue and never be printed. */
  readonly rotationToken?: Sensitive;
}

/** `{"SecretId": "..."}`, typed into the Lambda console: start a proper rotation. */
export interface StartRotationEvent {
  readonly kind: 'start-rotation';
  readonly secretId: string;
}

export type InvocationEvent = RotationStepEvent | StartRotationEvent;

// Secrets Manager's documented bounds for ClientRequestToken.
const TOKEN_MIN = 32;
const TOKEN_MAX = 64;

/**
 * Turns the raw invocation payload into one of the accepted shapes, or throws InvalidEventError naming the
 * problem and the accepted shapes. Error messages never quote the RotationToken.
 */
export function parseEvent(raw: unknown): InvocationEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidEventError(
      `expected a JSON object, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`,
    );
  }
  const event = raw as Record<string, unknown>;
  const keys = Object.keys(event);
  const secretId = requireString(event, 'SecretId');

  if (keys.length === 1) return { kind: 'start-rotation', secretId };

  const step = requireString(event, 'Step');
  if (!(STEPS as readonly string[]).includes(step)) {
    throw new InvalidEventError(`unknown Step "${printable(step)}"`);
  }
  const token = requireString(event, 'ClientRequestToken');
  if (token.length < TOKEN_MIN || token.length > TOKEN_MAX) {
    throw new InvalidEventError(
      `ClientRequestToken must be ${TOKEN_MIN} to ${TOKEN_MAX} characters, got ${token.length}`,
    );
  }
  const known = new Set(['Step', 'SecretId', 'ClientRequestToken', 'RotationToken']);
  const unknown = keys.filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new InvalidEventError(
      `unexpected field(s) ${unknown.map((key) => `"${printable(key)}"`).join(', ')}`,
    );
  }
  const rotationToken = event.RotationToken;
  if (rotationToken !== undefined && (typeof rotationToken !== 'string' || rotationToken.length === 0)) {
    throw new InvalidEventError('RotationToken, when present, must be a non-empty string');
  }
  return {
    kind: 'rotation-step',
    step: step as Step,
    secretId,
    token,
    ...(rotationToken === undefined ? {} : { rotationToken: new Sensitive(rotationToken) }),
  };
}

function requireString(event: Record<string, unknown>, field: string): string {
  const value = event[field];
  if (value === undefined) throw new InvalidEventError(`missing ${field}`);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidEventError(`${field} must be a non-empty string`);
  }
  return value;
}

// Echo user input into an error only in a short, single-line form.
function printable(value: string): string {
  const flat = value.replace(/[^\x20-\x7e]/g, '?');
  return flat.length > 40 ? `${flat.slice(0, 40)}...` : flat;
}
