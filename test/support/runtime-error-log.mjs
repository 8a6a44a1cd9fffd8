// How the Lambda Node.js runtime logs an error a handler throws (aws-lambda-nodejs-runtime-interface-client,
// Errors.js toFormatted, logged as "Invoke Error"): every own enumerable property of the error, and of any
// error nested in it, next to its type, message and stack. A field an SDK copied from a response body is
// printed as it is: this is the leak path the function's errors must close.

/**
 * The line the Lambda runtime logs for `error`.
 * @param {unknown} error
 * @returns {string}
 */
export function runtimeErrorLog(error) {
  try {
    return `Invoke Error \t${JSON.stringify(error, (_key, value) => withEnumerableProperties(value))}`;
  } catch {
    return `Invoke Error \t${JSON.stringify({ errorType: error?.name, errorMessage: error?.message })}`;
  }
}

function withEnumerableProperties(value) {
  if (!(value instanceof Error)) return value;
  const entry = Object.assign(
    { errorType: value.name, errorMessage: value.message, code: /** @type {any} */ (value).code },
    value,
  );
  if (typeof value.stack === 'string') entry.stack = value.stack.split('\n');
  return entry;
}
