import type { StatusReport } from './status-report.js';

/**
 * Why a rotation may not have finished, as far as Secrets Manager's labels and Factify's key list show it.
 * The function's log has the actual error; these are the causes an operator can confirm from here.
 */
export function diagnoseUnfinished(report: StatusReport, versionId: string): string[] {
  const findings: string[] = [];
  // The Factify error is the cause an operator can act on; the verdict's text would only describe the
  // pending version (a rotation in progress ranks above "unknown").
  if (report.factify.error !== null) {
    findings.push(`Factify could not be checked: ${report.factify.error}`);
  } else if (report.verdict === 'current-key-not-active') {
    findings.push(report.explanation);
  }
  const pending = report.versions.find((version) => version.versionId === versionId);
  const { activeKeys, activeKeyLimit } = report.factify;
  // createSecret revokes this secret's own leftovers before creating, so only the other keys block it.
  const others = (activeKeys ?? 0) - report.orphans.length - report.awaitingRevocation.length;
  if (pending?.keyState === 'no-value' && activeKeys !== null && others >= activeKeyLimit) {
    findings.push(
      `The Factify organization has ${activeKeys} active keys, Factify's limit is ${activeKeyLimit}, and none ` +
        "of them is a leftover of this secret's rotations that createSecret could revoke: it cannot create " +
        'the new key (KEY_LIMIT_REACHED). Revoke a key no one uses (Factify dashboard: Manage > API Keys).',
    );
  }
  if (pending?.keyId && pending.keyState !== 'active' && pending.keyState !== 'unchecked') {
    findings.push(
      `The new key ${pending.keyId} is ${pending.keyState} at Factify, so testSecret cannot pass.`,
    );
  }
  if (pending?.keyState === 'active') {
    findings.push(
      `createSecret stored the new key ${pending.keyId} and it is active: a later step failed (testSecret checks ` +
        'that it authenticates, is in the same organization and, with self-rotation, has the admin role).',
    );
  }
  if (findings.length === 0 && pending?.keyState === 'no-value') {
    findings.push('createSecret has not stored a key: it failed or has not run.');
  }
  return findings;
}
