import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../cli/args.js';
import { UsageError } from '../../cli/cli-error.js';

describe('the command line', () => {
  it.each([
    [['status', 'prod/factify'], { name: 'status', secretIds: ['prod/factify'], json: false }],
    [['status', 'a', 'b', '--json'], { name: 'status', secretIds: ['a', 'b'], json: true }],
    [
      ['status', '--function', 'factify-key-rotation'],
      { name: 'status', secretIds: [], functionName: 'factify-key-rotation' },
    ],
    [
      ['status', '--all', 'factify-key-rotation'],
      { name: 'status', secretIds: [], functionName: 'factify-key-rotation', fleet: true },
    ],
    [
      ['status', '--all', '--function', 'arn:aws:lambda:us-east-1:123456789012:function:f', '--json'],
      { functionName: 'arn:aws:lambda:us-east-1:123456789012:function:f', fleet: true, json: true },
    ],
    [
      ['status', 'x', '--json', '--admin-secret-id', 'admin'],
      { name: 'status', json: true, adminSecretId: 'admin' },
    ],
    [['rotate', 'x'], { name: 'rotate', wait: false, timeoutMs: 600_000 }],
    [['rotate', 'x', '--wait', '--timeout', '90s'], { name: 'rotate', wait: true, timeoutMs: 90_000 }],
    [['rotate', 'x', '--wait', '--timeout', '15m'], { timeoutMs: 900_000 }],
    [['rotate', 'x', '--wait', '--timeout', '120'], { timeoutMs: 120_000 }],
    [['recover', 'x', '-y', '--force'], { name: 'recover', yes: true, force: true }],
    [[], { name: 'help' }],
    [['status', 'x', '--help'], { name: 'help' }],
  ])('%j', (argv, expected) => {
    expect(parseCommandLine(argv)).toMatchObject(expected);
  });

  it.each([
    [['stats', 'x'], 'Unknown command "stats"'],
    [['constructor', 'x'], 'Unknown command "constructor"'],
    [['__proto__', 'x'], 'Unknown command "__proto__"'],
    [['toString', 'x', '--json'], 'Unknown command "toString"'],
    [['status'], 'status needs a secret'],
    [['rotate', 'x', 'y'], 'Unexpected argument "y"'],
    [['status', 'x', '--function', 'f'], 'status takes secrets or --function, not both'],
    [['status', '--function', ' '], '--function needs the name or ARN'],
    [['status', '--all'], 'status --all needs the rotation function'],
    [['status', '--all', 'f', 'g'], 'status --all needs the rotation function, and only it'],
    [['status', '--all', 'x', '--function', 'f'], 'status --all needs the rotation function, and only it'],
    [['rotate', 'x', '--all'], 'rotate does not take --all'],
    [['rotate', 'x', '--function', 'f'], 'rotate does not take --function'],
    [['status', 'x', '--wait'], 'status does not take --wait'],
    [['recover', 'x', '--json'], 'recover does not take --json'],
    [['rotate', 'x', '--timeout', '5m'], '--timeout applies to rotate --wait only'],
    [['rotate', 'x', '--wait', '--timeout', 'soon'], '--timeout must be a positive duration'],
    [['rotate', 'x', '--wait', '--timeout', '0s'], '--timeout must be a positive duration'],
    [['status', 'x', '--jsn'], "Unknown option '--jsn'"],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});
