import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { anchorsOf, findBrokenLinks, slug } from '../../scripts/check-doc-links.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe("the documentation's internal links", () => {
  it('all resolve: every relative link names a file, every #anchor a heading', () => {
    expect(findBrokenLinks(REPO_ROOT)).toEqual([]);
  });

  // Alarm descriptions and the README send readers to these anchors: renaming one must fail here.
  it.each([
    'alarm-rotation-overdue',
    'alarm-current-key-not-active',
    'alarm-rotation-stuck',
    'alarm-active-keys',
    'alarm-replaced-key-not-revoked',
    'alarm-failed-invocations',
    'alarm-function-errors',
    'alarm-alert-delivery',
    'alarm-metrics-dropped',
    'verdict-healthy',
    'verdict-rotation-in-progress',
    'verdict-stuck',
    'verdict-orphans-present',
    'verdict-current-key-not-active',
    'verdict-rotation-disabled',
    'verdict-rotation-overdue',
    'verdict-unknown',
    'find-the-stacks-resources',
  ])('docs/operating.md keeps the runbook anchor #%s', (anchor) => {
    expect(anchorsOf(readFileSync(join(REPO_ROOT, 'docs/operating.md'), 'utf8'))).toContain(anchor);
  });
});

describe('check-doc-links', () => {
  it('slugs headings as GitHub does', () => {
    expect(slug("Find the stack's resources")).toBe('find-the-stacks-resources');
    expect(slug('What `recover` changes, and what it never touches')).toBe(
      'what-recover-changes-and-what-it-never-touches',
    );
    expect(slug('Alarm: rotation overdue')).toBe('alarm-rotation-overdue');
    expect(slug('Use it in your [own](x.md) CDK app')).toBe('use-it-in-your-own-cdk-app');
    expect(slug('snake_case and Node.js 24')).toBe('snake_case-and-nodejs-24');
  });

  it('numbers repeated headings, reads HTML ids, and ignores headings inside code blocks', () => {
    const anchors = anchorsOf(
      ['# Title', '## Same', '## Same', '<a id="kept-anchor"></a>', '```sh', '# not a heading', '```'].join(
        '\n',
      ),
    );
    expect([...anchors]).toEqual(['title', 'same', 'same-1', 'kept-anchor']);
  });

  it('reports a missing file, a missing anchor in another file and in the same file, and nothing else', () => {
    const dir = scratch();
    write(dir, 'docs/a.md', '# A\n\n## Present here\n');
    write(
      dir,
      'README.md',
      [
        '# Readme',
        '[ok](docs/a.md) [ok](docs/a.md#present-here) [ok](#readme) [web](https://example.com/x#y)',
        '[gone](docs/missing.md)',
        '[bad anchor](docs/a.md#absent)',
        '[bad local](#nowhere)',
        '`[in code](docs/missing.md)`',
        '```md',
        '[in a block](docs/missing.md)',
        '```',
        '[ref]: docs/also-missing.md',
      ].join('\n'),
    );
    expect(findBrokenLinks(dir).map(({ line, target }) => ({ line, target }))).toEqual([
      { line: 3, target: 'docs/missing.md' },
      { line: 4, target: 'docs/a.md#absent' },
      { line: 5, target: '#nowhere' },
      { line: 10, target: 'docs/also-missing.md' },
    ]);
  });

  it('reports a source path quoted as code that names no file, outside code blocks only', () => {
    const dir = scratch();
    write(dir, 'lambda/keys/ownership.ts', '');
    write(
      dir,
      'README.md',
      [
        'The rule lives in `lambda/keys/ownership.ts`, once in `lambda/ownership.ts`.',
        'Not paths: `lib/my-app-stack.ts`, `npm test`, `dist/lambda/index.mjs`.',
        '```sh',
        'cat lambda/gone.ts',
        '```',
      ].join('\n'),
    );
    expect(findBrokenLinks(dir).map(({ line, target }) => ({ line, target }))).toEqual([
      { line: 1, target: 'lambda/ownership.ts' },
    ]);
  });

  it('checks links relative to the document that holds them', () => {
    const dir = scratch();
    write(dir, 'README.md', '# Why\n');
    write(dir, 'docs/b.md', '[up](../README.md#why) [sibling](c.md) [wrong](docs/c.md)\n');
    write(dir, 'docs/c.md', '# C\n');
    expect(findBrokenLinks(dir).map(({ file, target }) => ({ file, target }))).toEqual([
      { file: 'docs/b.md', target: 'docs/c.md' },
    ]);
  });
});

const scratchDirs: string[] = [];
afterEach(() => {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'doc-links-'));
  scratchDirs.push(dir);
  return dir;
}

function write(dir: string, file: string, text: string): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
}
