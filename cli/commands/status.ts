import type { CliContext } from '../context.js';
import { inspectSecret } from '../inspect.js';
import { renderStatus } from '../render.js';
import { VERDICT_EXIT_CODES } from '../verdict.js';

/** `status <secret-id> [--json]`: prints the report; exits with the verdict's code. */
export async function status(ctx: CliContext, secretId: string, options: { json: boolean }): Promise<number> {
  const { report } = await inspectSecret(ctx, secretId);
  ctx.print(options.json ? JSON.stringify(report, null, 2) : renderStatus(report));
  return VERDICT_EXIT_CODES[report.verdict];
}
