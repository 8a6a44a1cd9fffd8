import { createInterface } from 'node:readline/promises';
import type { CliIo } from './cli-context.js';

/** Asks a yes/no question on the terminal; anything but "y" or "yes" is a no. */
export async function confirm(io: CliIo, question: string): Promise<boolean> {
  io.stdout(question);
  const reader = createInterface({ input: io.stdin, terminal: false });
  try {
    // An input that ends without a line (Ctrl-D) is a no.
    const answer = await Promise.race([
      reader.question(''),
      new Promise<string>((resolve) => reader.once('close', () => resolve(''))),
    ]);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    reader.close();
  }
}
