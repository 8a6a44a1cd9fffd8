/** The line the Lambda runtime logs for an error a handler throws: see runtime-error-log.mjs. */
export function runtimeErrorLog(error: unknown): string;
