/** The `factify-rotation` command: see a secret's rotation health and fix a stuck rotation. */
import { main } from './main.js';

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
