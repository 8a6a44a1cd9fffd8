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
    [['rotate', 'x', '--wait', '--timeout', '2h'], { timeoutMs: 7_200_000 }],
    [['recover', 'x', '-y', '--force'], { name: 'recover', yes: true, force: true, timeoutMs: 600_000 }],
    [['recover', 'x', '--json'], { name: 'recover', json: true }],
    [['rotate', 'x', '--json'], { name: 'rotate', json: true }],
    // Every command has an overall deadline, 10 minutes unless --timeout says otherwise.
    [['status', 'x'], { name: 'status', timeoutMs: 600_000 }],
    [['status', 'x', '--timeout', '30s'], { name: 'status', timeoutMs: 30_000 }],
    [
      ['status', '--function', 'f', '--timeout', '2m'],
      { name: 'status', functionName: 'f', timeoutMs: 120_000 },
    ],
    [['recover', 'x', '--timeout', '1h'], { name: 'recover', timeoutMs: 3_600_000 }],
    [['rotate', 'x', '--timeout', '5m'], { name: 'rotate', wait: false, timeoutMs: 300_000 }],
    [[], { name: 'help' }],
    [['--help'], { name: 'help' }],
    [['help'], { name: 'help' }],
    [['status', 'x', '--help'], { name: 'help', topic: 'status' }],
    [['rotate', '--help'], { name: 'help', topic: 'rotate' }],
    [['recover', '-h'], { name: 'help', topic: 'recover' }],
    [['help', 'rotate'], { name: 'help', topic: 'rotate' }],
    [['--version'], { name: 'version', json: false }],
    [['--version', '--json'], { name: 'version', json: true }],
    [['-v'], { name: 'version', json: false }],
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
    [['status', 'x', '--timeout', '0s'], '--timeout must be a positive duration'],
    [['recover', 'x', '--timeout', '-5s'], "Option '--timeout' argument is ambiguous"],
    [['recover', 'x', '--wait'], 'recover does not take --wait'],
    [['help', 'stats'], 'Unknown command "stats"'],
    [['help', 'constructor'], 'Unknown command "constructor"'],
    [['status', 'x', '--version'], '--version takes no command'],
    [['rotate', 'x', '--wait', '--timeout', '10'], '--timeout needs a unit: 10s, 10m or 10h'],
    [['rotate', 'x', '--wait', '--timeout', '1.5m'], '--timeout must be a positive duration'],
    [['rotate', 'x', '--wait', '--timeout', '10d'], '--timeout must be a positive duration'],
    [['rotate', 'x', '--wait', '--timeout', 'soon'], '--timeout must be a positive duration'],
    [['rotate', 'x', '--wait', '--timeout', '0s'], '--timeout must be a positive duration'],
    [['status', 'x', '--jsn'], "Unknown option '--jsn'"],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});
