/**
 * The rotation function's entry point: Secrets Manager invokes `handler` once per rotation step, and an
 * operator may invoke it from the Lambda console with {"SecretId": "..."} to start a rotation.
 */
import { createHandler } from './function/handler.js';

export const handler = createHandler();
