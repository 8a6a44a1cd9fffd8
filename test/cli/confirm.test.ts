import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/cli-context.js';
import { confirm } from '../../cli/confirm.js';

/** The question recover asks on a terminal, answered through a stream standing in for the keyboard. */
describe('confirm', () => {
  function terminal(answer: string | null): { io: CliIo; shown: () => string } {
    const stdin = new PassThrough();
    let shown = '';
    if (answer === null) stdin.end();
    else stdin.write(answer);
    return {
      io: {
        stdout: (text) => {
          shown += text;
        },
        stderr: () => {},
        stdin,
        interactive: true,
      },
      shown: () => shown,
    };
  }

  it.each([
    ['y\n', true],
    ['yes\n', true],
    [' Y \n', true],
    ['n\n', false],
    ['\n', false],
    ['sure\n', false],
  ])('answers %j with %s', async (answer, expected) => {
    const { io, shown } = terminal(answer);

    expect(await confirm(io, 'Go ahead? [y/N] ')).toBe(expected);
    expect(shown()).toBe('Go ahead? [y/N] ');
  });

  it('takes an input that ends without an answer (Ctrl-D) as a no', async () => {
    const { io } = terminal(null);

    expect(await confirm(io, 'Go ahead? [y/N] ')).toBe(false);
  });
});
