import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUNDLE } from '../support/lambda-runtime.js';

interface SourceMap {
  readonly sources: string[];
  readonly sourcesContent?: unknown;
}

/** The Node.js built-ins a fresh process has loaded after importing the bundle, with the function's NODE_OPTIONS. */
function builtinsLoadedByImport(): string[] {
  const script =
    `await import(${JSON.stringify(pathToFileURL(BUNDLE).href)}); ` +
    "console.log(JSON.stringify(process.moduleLoadList.filter((name) => name.startsWith('NativeModule '))));";
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '--enable-source-maps' },
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  return (JSON.parse(result.stdout) as string[]).map((name) => name.replace('NativeModule ', ''));
}

/**
 * What Lambda's init phase pays for (docs/performance.md, "On Node.js 24"): the handler imports the AWS SDK and
 * undici adapters on its first invocation, so loading the module must not load the HTTP stack they use, and
 * the source map that --enable-source-maps reads at every cold start holds the mappings, not the sources.
 */
describe("the bundle's cold import", () => {
  it('loads none of the HTTP, TLS or compression built-ins that only the adapters use', () => {
    const loaded = builtinsLoadedByImport();

    for (const builtin of ['http', 'https', 'http2', 'tls', 'zlib', 'internal/deps/undici/undici']) {
      expect(loaded, builtin).not.toContain(builtin);
    }
  });

  it("ships source maps without the sources' text, which stack traces do not need", () => {
    const dir = dirname(BUNDLE);
    const maps = readdirSync(dir)
      .filter((file) => file.endsWith('.mjs.map'))
      .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as SourceMap);

    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) expect(map.sourcesContent).toBeUndefined();
    expect(maps.flatMap((map) => map.sources)).toContainEqual(
      expect.stringMatching(/lambda\/function\/handler\.ts$/),
    );
  });

  it("leaves the adapters to chunks that the first invocation imports, not Lambda's init", () => {
    const entry = readFileSync(BUNDLE, 'utf8');
    const chunks = readdirSync(dirname(BUNDLE)).filter(
      (file) => file.endsWith('.mjs') && file !== 'index.mjs',
    );

    expect(chunks.length).toBeGreaterThan(0);
    // undici's HTTP parser is among the largest parts of the adapters: it is not in the entry file.
    expect(entry).not.toContain('llhttp');
  });
});
