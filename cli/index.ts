/** The `factify-rotation` command: see a secret's rotation health and fix a stuck rotation. */
import { main } from './main.js';

// The AWS SDK warns on every run under Node.js 20 that its releases after January 2027 need Node.js 22.
// The SDK inside this bundle is fixed at build time, so the warning concerns no operator: only package.json's
// engines says which Node.js runs the CLI. Set before main() creates the first client, where the SDK checks.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const code = await main(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdin: process.stdin,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  },
  process.env,
);

// A command stopped by its deadline may leave a call in flight: end the process once the output is written.
process.exitCode = code;
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
