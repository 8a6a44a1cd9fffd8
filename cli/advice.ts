import { formatAge } from './format.js';
import { describeLogsCommand, functionLogsCommand } from './function-logs.js';
import type { StatusReport } from './status-report.js';
import { STUCK_AFTER_MS } from './verdict-exit-codes.js';

type Facts = Omit<StatusReport, 'explanation' | 'nextSteps'>;

// Why the AWSCURRENT key is not usable, and what follows from it.
const CURRENT_KEY_PROBLEMS: Record<string, string> = {
  revoked: 'is revoked: consumers of the secret get a key Factify refuses, and rotations fail',
  expired: 'has expired: consumers of the secret get a key Factify refuses, and rotations fail',
  rejected:
    'is rejected by Factify (401: unknown, revoked or expired, or for another Factify environment than ' +
    'FACTIFY_API_URL): consumers get a key Factify refuses, and rotations fail',
  'not-found':
    "is not among the organization's keys under its apiKeyId (or, without one, a unique prefix): apiKeyId is " +
    'wrong or the key is of another organization, and rotations fail with KEY_NOT_RESOLVED',
};

/** What the verdict means for this secret, and the commands that take it further. */
export function adviseOn(facts: Facts): { explanation: string; nextSteps: string[] } {
  const cli = (command: string) => `npx factify-rotation ${command} ${facts.secret.name}`;
  const pending = facts.pending;
  const logs =
    pending &&
    functionLogsCommand(facts.rotation.function ?? undefined, pending.versionId, pending.ageSeconds / 60);
  const stored = pending?.hasValue
    ? 'createSecret had stored the new key in it'
    : 'createSecret had not stored a key in it yet';

  switch (facts.verdict) {
    case 'healthy':
      return {
        explanation:
          "AWSCURRENT's key is active at Factify, no rotation is pending, and no key this secret should have " +
          'revoked is still active.',
        nextSteps: [],
      };
    case 'rotation-in-progress':
      return {
        explanation:
          `AWSPENDING is on version ${pending?.versionId}, created ${formatAge(pending?.ageSeconds ?? 0)} ago, and ` +
          `${stored}: a rotation is running, or failed moments ago and Secrets Manager retries it. If AWSPENDING ` +
          `is still there ${STUCK_AFTER_MS / 60_000} minutes after the version was created, the rotation counts as stuck.`,
        nextSteps: [
          `${cli('status')}   # again in a few minutes`,
          ...(logs ? describeLogsCommand(logs, 'its steps') : []),
        ],
      };
    case 'stuck':
      return {
        explanation:
          `AWSPENDING has been on version ${pending?.versionId} for ${formatAge(pending?.ageSeconds ?? 0)} and ` +
          `${stored}: that rotation did not finish. Secrets Manager refuses new rotations ("A previous rotation ` +
          'isn\'t complete") until AWSPENDING leaves that version.',
        nextSteps: [
          ...(logs ? describeLogsCommand(logs, 'why it failed') : []),
          `${cli('recover')}   # once the cause is fixed: clears the stray version and its key`,
          `${cli('rotate')} --wait`,
        ],
      };
    case 'orphans-present':
      return {
        explanation: [
          facts.orphans.length > 0 &&
            `${facts.orphans.length} key(s) created by this secret's rotations are active but held by no version: ` +
              'a rotation attempt created them and did not store them.',
          facts.awaitingRevocation.length > 0 &&
            `The replaced key ${facts.awaitingRevocation.map((key) => key.keyId).join(', ')} in AWSPREVIOUS is ` +
              'still active: finishSecret promoted its successor but did not get to revoke it.',
          "They count against Factify's limit of active keys; the next rotation revokes them too.",
        ]
          .filter(Boolean)
          .join(' '),
        nextSteps: [`${cli('recover')}   # revokes them now`],
      };
    case 'current-key-not-active': {
      const current = facts.versions.find((version) => version.stages.includes('AWSCURRENT'));
      return {
        explanation:
          `The AWSCURRENT key ${current?.keyId ?? ''} ${CURRENT_KEY_PROBLEMS[current?.keyState ?? ''] ?? current?.keyState} ` +
          'until the secret holds a working key of the organization.',
        nextSteps: [
          'Create a key if needed (Factify dashboard: Manage > API Keys), write {"apiKey": ..., "apiKeyId": ..., ' +
            'your other fields} to new-value.json, then:',
          `aws secretsmanager put-secret-value --secret-id ${facts.secret.arn} --secret-string file://new-value.json`,
          cli('status'),
        ],
      };
    }
    case 'rotation-disabled':
      return {
        explanation:
          facts.rotation.enabled && facts.rotation.function !== null
            ? 'Rotation is on but has no schedule, so Secrets Manager never starts one: the key is never replaced.'
            : 'Rotation is turned off for this secret (by hand, or because a deployment replaced its rotation ' +
              'schedule and deleted the old one): its key is never replaced.',
        nextSteps: [
          'Redeploy the stack that rotates it (npx cdk deploy), which turns rotation back on with its schedule, then:',
          cli('status'),
        ],
      };
    case 'rotation-overdue':
      return {
        explanation:
          `The AWSCURRENT version is ${facts.rotation.daysSinceRotation} days old: by its schedule ` +
          `${facts.rotation.schedule} it should have been replaced by ${facts.rotation.rotateBy}. Rotations are ` +
          "not running (the function is not invoked) or every attempt fails (see the function's log).",
        nextSteps: [`${cli('rotate')} --wait   # rotates now and shows which step fails, if one does`],
      };
    case 'unknown':
      return {
        explanation: `Factify could not be checked, so the keys' state is unknown: ${facts.factify.error}`,
        nextSteps: [`${cli('status')}   # once the cause above is fixed`],
      };
  }
}
