import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE_DIR } from '../../infra/factify-key-rotation.js';
import { REPO_ROOT } from '../infra/support.js';

const CLI_DIR = join(REPO_ROOT, 'dist/cli');

/** name@version of an installed package, from its node_modules path. */
function installed(name: string): string {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8'));
  return `${name}@${manifest.version}`;
}

function notices(dir: string): string {
  const path = join(dir, 'THIRD-PARTY-LICENSES');
  expect(existsSync(path), `${path} exists`).toBe(true);
  return readFileSync(path, 'utf8');
}

function expectNamed(text: string, packages: readonly string[]): void {
  for (const name of packages) {
    const entry = new RegExp(
      `^${installed(name).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\nLicense: \\S+`,
      'm',
    );
    expect(text, `${name} is named with its licence`).toMatch(entry);
  }
}

/** The bundles ship without node_modules: the licence notices of what they bundle travel beside them. */
describe('third-party licence notices', () => {
  it("name every package the function's bundle contains, with its licence text", () => {
    // The source maps (of the entry and of each chunk) list the files each byte of the bundle came from: an
    // account independent of the build.
    const sources = readdirSync(BUNDLE_DIR)
      .filter((file) => file.endsWith('.mjs.map'))
      .flatMap(
        (file) => (JSON.parse(readFileSync(join(BUNDLE_DIR, file), 'utf8')) as { sources: string[] }).sources,
      );
    const bundled = new Set(
      sources.flatMap((source) => {
        const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source);
        return match?.[1] ? [match[1]] : [];
      }),
    );
    expect(bundled).toContain('undici');
    expect(bundled).toContain('@aws-sdk/client-secrets-manager');

    const text = notices(BUNDLE_DIR);

    expectNamed(text, [...bundled]);
    expect(text).toMatch(/^undici@\S+\nLicense: MIT\n[\s\S]*?Permission is hereby granted/m);
    expect(text).toMatch(/Apache License\s+Version 2\.0/);
    expect(text).toContain(`${bundled.size} packages`);
  });

  it("name the packages the CLI's bundle contains", () => {
    expectNamed(notices(CLI_DIR), ['undici', '@aws-sdk/client-secrets-manager', '@aws-sdk/client-scheduler']);
  });
});
