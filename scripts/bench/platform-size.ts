import { rmSync } from 'node:fs';
import { resourcesOf, synthesizeFleet } from '../../test/infra/fleet-app.js';
import { tempDir } from '../../test/infra/support.js';

export interface PlatformSizeFigures {
  /** Per number of enrolled secrets: the platform stack's template and its function role's policies. */
  readonly sizes: readonly {
    readonly secrets: number;
    readonly templateBytes: number;
    readonly rolePolicyChars: number;
    readonly alarms: number;
    /** The application stacks' resources: one rotation schedule per secret. */
    readonly appResources: number;
  }[];
}

/**
 * Synthesizes a platform stack with application stacks that enroll 1, 100 and 1,000 secrets, and measures what
 * the platform costs at each size: it must not change.
 */
export function measurePlatformSize(counts: readonly number[] = [1, 100, 1000]): PlatformSizeFigures {
  const sizes = counts.map((secrets) => {
    const outdir = tempDir();
    try {
      const fleet = synthesizeFleet(secrets, outdir);
      return {
        secrets,
        templateBytes: JSON.stringify(fleet.platformTemplate).length,
        rolePolicyChars: fleet.rolePolicyChars,
        alarms: resourcesOf(fleet.platformTemplate, 'AWS::CloudWatch::Alarm').length,
        appResources: fleet.appTemplates.reduce((sum, t) => sum + Object.keys(t.Resources).length, 0),
      };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
  return { sizes };
}
