// The package as a user gets it: `npm pack`, installed into a fresh `cdk init app --language typescript` app,
// synthesized offline, and its CLI run from that app's directory.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, removeTempDirs, tempDir } from '../infra/support.js';
import { type RotationEnvironment, startRotationEnvironment } from '../support/rotation-environment.js';
import { seedSecret } from '../support/seeded-secret.js';

const INSTALL_TIMEOUT = 300_000;
// Two apps of some 260 MB each take a while to delete.
afterAll(removeTempDirs, INSTALL_TIMEOUT);
const BUNDLE = join(REPO_ROOT, 'dist/lambda/index.mjs');
const PACKAGE_JSON = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  version: string;
  peerDependencies: Record<string, string>;
};
/** The version of a package this repository has installed: the npm cache already holds it. */
const installed = (name: string): string =>
  (
    JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
/** The lowest version a peer dependency range admits (`^2.253.0` → `2.253.0`). */
const lowest = (name: string): string => (PACKAGE_JSON.peerDependencies[name] ?? '').replace(/^[\^~>=]+/, '');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return promisify(execFile)(command, args, {
    cwd,
    env: { ...cleanEnv(), ...env },
    maxBuffer: 64 * 1024 * 1024,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

/**
 * This process's environment minus AWS settings and the variables `npm test` sets for this repository (its
 * package, its lifecycle, its project config), keeping where npm's cache and registry are.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const keep = /^npm_config_(cache|registry|userconfig)$/;
  return {
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) => keep.test(key) || !/^(AWS_|npm_|INIT_CWD$|NODE_OPTIONS$)/i.test(key),
      ),
    ),
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
}

async function expectOk(result: Promise<Run>): Promise<Run> {
  const done = await result;
  expect(done, `${done.stdout}\n${done.stderr}`).toMatchObject({ code: 0 });
  return done;
}

/** The README's example stack: the test builds exactly what a reader copies. */
function readmeExample(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it in your own CDK app'));
  const example = /```ts\n(\/\/ lib\/my-app-stack\.ts\n[\s\S]*?)```/.exec(section)?.[1];
  if (!example) throw new Error('README: no lib/my-app-stack.ts example under "Use it in your own CDK app"');
  return example;
}

/** The README's cdk-nag lines for bin/my-app.ts: its imports, and the line that follows the stack. */
function readmeCdkNag(): { imports: string[]; after: string[] } {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /```ts\n\/\/ bin\/my-app\.ts[^\n]*\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README: no bin/my-app.ts block with the cdk-nag lines');
  const lines = block.split('\n').filter((line) => line.trim() !== '');
  return {
    imports: lines.filter((line) => line.startsWith('import ')),
    after: lines.filter((line) => !line.startsWith('import ')),
  };
}

/** The newest version of a package the registry serves. */
async function newest(name: string): Promise<string> {
  const { stdout } = await expectOk(run('npm', ['view', name, 'version'], tempDir()));
  return stdout.trim();
}

type Versions = { 'aws-cdk-lib': string; constructs: string; 'cdk-nag': string };

/**
 * A fresh `cdk init app --language typescript` app named my-app whose stack is the README's example, checked
 * by cdk-nag as the README says. The template's jest and swc serve its sample unit test, which is removed; its
 * other dependencies are set to the versions this repository installed, so npm takes them from its cache, and
 * aws-cdk-lib, constructs and cdk-nag to the versions under test.
 */
async function createApp(parent: string, versions: Versions) {
  const dir = join(parent, 'my-app');
  mkdirSync(dir);
  await expectOk(
    run(
      join(REPO_ROOT, 'node_modules/.bin/cdk'),
      ['init', 'app', '--language', 'typescript', '--generate-only'],
      dir,
    ),
  );
  const packageJson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  packageJson.dependencies = versions;
  packageJson.devDependencies = Object.fromEntries(
    ['@types/node', 'aws-cdk', 'tsx', 'typescript'].map((name) => [name, installed(name)]),
  );
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
  tsconfig.compilerOptions.types = ['node'];
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  rmSync(join(dir, 'test'), { recursive: true });
  rmSync(join(dir, 'jest.config.js'));
  writeFileSync(join(dir, 'lib/my-app-stack.ts'), readmeExample());
  const nag = readmeCdkNag();
  // After cdk init's `#!/usr/bin/env node`, which must stay the first line.
  const [shebang = '', ...bin] = readFileSync(join(dir, 'bin/my-app.ts'), 'utf8').trimEnd().split('\n');
  writeFileSync(join(dir, 'bin/my-app.ts'), [shebang, ...nag.imports, ...bin, ...nag.after, ''].join('\n'));
  return dir;
}

/**
 * Every finding of cdk-nag's AwsSolutions pack on the README's stack in `app`, warnings included (a synth
 * fails on errors only).
 */
async function nagFindings(app: string): Promise<unknown> {
  writeFileSync(
    join(app, 'nag-findings.ts'),
    [
      "import { App } from 'aws-cdk-lib';",
      "import { AwsSolutionsChecks } from 'cdk-nag';",
      "import { MyAppStack } from './lib/my-app-stack';",
      'const app = new App({ outdir: process.argv[2] });',
      "new MyAppStack(app, 'MyAppStack');",
      'console.log(JSON.stringify(new AwsSolutionsChecks().validateScope(app)));',
      '',
    ].join('\n'),
  );
  const { stdout } = await expectOk(
    run(join(app, 'node_modules/.bin/tsx'), ['nag-findings.ts', join(tempDir(), 'cdk.out')], app),
  );
  return JSON.parse(stdout);
}

async function install(app: string, tarball: string): Promise<void> {
  // Peers are installed from the app's own dependencies; --prefer-offline takes what the cache holds.
  const { stdout, stderr } = await expectOk(
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app),
  );
  // npm 11 lists the packages whose install scripts (prepare among them) wait for approval: not this one.
  const flagged = `${stdout}\n${stderr}`.split('\n').filter((line) => line.includes('install-scripts'));
  expect(flagged.filter((line) => line.includes('factify-key-rotation'))).toEqual([]);
}

/**
 * `cdk synth` with the app's own cdk.json (`npx tsc && npx tsx bin/my-app.ts`: type check, then run), without
 * credentials and with every outbound connection refused and logged.
 */
async function synth(app: string) {
  const home = tempDir();
  const outdir = join(home, 'cdk.out');
  const networkLog = join(home, 'network.log');
  const result = await run(
    join(app, 'node_modules/.bin/cdk'),
    ['synth', '--no-notices', '--output', outdir],
    app,
    {
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
      DENY_NETWORK_LOG: networkLog,
      NODE_OPTIONS: `--import ${join(REPO_ROOT, 'test/infra/fixtures/deny-network.mjs')}`,
    },
  );
  const connections = readFileSync(networkLog, { encoding: 'utf8', flag: 'a+' });
  return { ...result, outdir, connections };
}

/** The directory of the function's code asset in a synthesized stack. */
function functionAsset(outdir: string, stackName: string): string {
  const template = JSON.parse(readFileSync(join(outdir, `${stackName}.template.json`), 'utf8'));
  const functions = Object.values(
    template.Resources as Record<string, { Type: string; Properties: { Code: { S3Key: string } } }>,
  ).filter((resource) => resource.Type === 'AWS::Lambda::Function');
  expect(functions).toHaveLength(1);
  const key = functions[0]?.Properties.Code.S3Key ?? '';
  return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
}

function expectTheTestedBundle(outdir: string, stackName: string): void {
  const asset = functionAsset(outdir, stackName);
  expect(readdirSync(asset).sort()).toEqual(readdirSync(join(REPO_ROOT, 'dist/lambda')).sort());
  expect(readFileSync(join(asset, 'index.mjs')).equals(readFileSync(BUNDLE))).toBe(true);
}

/**
 * The names the root's declarations refer to that the root does not export: a user could not name the type of
 * a public member (e.g. `rotation.monitoring`) or of a props field. Reads the declaration files: for each
 * module the root re-exports from, the declarations it re-exports, their comments removed, and any type
 * declared in or imported from a module of the package that they mention.
 */
function typesMissingFromRoot(typesDir: string): string[] {
  const read = (module: string) => readFileSync(join(typesDir, module.replace(/\.js$/, '.d.ts')), 'utf8');
  const exported = new Map<string, string>();
  for (const [, names = '', module = ''] of read('index.js').matchAll(
    /export \{([^}]*)\} from '(\.\/[^']+)'/g,
  )) {
    for (const name of names.split(',').map((item) => item.replace(/^\s*type\s+/, '').trim())) {
      if (name) exported.set(name, module);
    }
  }
  const missing = new Set<string>();
  for (const module of new Set(exported.values())) {
    const text = read(module).replace(/\/\*[\s\S]*?\*\//g, '');
    const sections = text.split(/^(?=export )/m);
    const declared = sections.flatMap(
      (section) => /^export (?:declare )?(?:class|interface|type|enum|const) (\w+)/.exec(section)?.[1] ?? [],
    );
    const imported = [...text.matchAll(/^import (?:type )?\{([^}]*)\} from '\.\/[^']+'/gm)].flatMap(
      ([, names = '']) => names.split(',').map((item) => item.replace(/^\s*type\s+/, '').trim()),
    );
    const publicText = sections
      .filter((section) =>
        exported.has(
          /^export (?:declare )?(?:class|interface|type|enum|const) (\w+)/.exec(section)?.[1] ?? '',
        ),
      )
      .join('\n');
    for (const name of [...declared, ...imported]) {
      if (name && !exported.has(name) && new RegExp(`\\b${name}\\b`).test(publicText)) missing.add(name);
    }
  }
  return [...missing].sort();
}

let work: string;
let tarball: string;
let packedFiles: string[];

beforeAll(async () => {
  work = tempDir();
  // --ignore-scripts: `npm run test:package` has just built everything, which `prepack` would only repeat.
  const packed = await expectOk(
    run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO_ROOT),
  );
  const [manifest] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, manifest?.filename ?? '');
  packedFiles = (manifest?.files ?? []).map((file) => file.path).sort();
}, INSTALL_TIMEOUT);

describe('the packed tarball', () => {
  it('holds only what a user needs: the library, its types, the bundle, the CLI, licences and docs', () => {
    expect(tarball).toMatch(new RegExp(`factify-key-rotation-${PACKAGE_JSON.version}\\.tgz$`));
    for (const file of packedFiles) {
      expect(file).toMatch(
        /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/(lambda|cli)\/[^/]+|lib\/index\.(mjs|cjs)|lib\/(cjs-)?types\/.+\.d\.ts|lib\/cjs-types\/package\.json)$/,
      );
    }
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'CHANGELOG.md',
        'README.md',
        'dist/cli/index.mjs',
        'dist/cli/THIRD-PARTY-LICENSES',
        'dist/lambda/index.mjs',
        'dist/lambda/THIRD-PARTY-LICENSES',
        'lib/index.cjs',
        'lib/index.mjs',
        'lib/types/infra/index.d.ts',
        'lib/cjs-types/infra/index.d.ts',
      ]),
    );
  });
  it('runs its CLI with npx from an empty directory, installing nothing but itself', async () => {
    // The peers are optional: an operator who only wants the CLI does not download aws-cdk-lib.
    const cache = tempDir();
    const { stdout } = await expectOk(
      run('npx', ['--yes', `--package=${tarball}`, 'factify-rotation', '--help'], tempDir(), {
        npm_config_cache: cache,
      }),
    );
    expect(stdout).toMatch(/^Usage: factify-rotation <command> <secret-id>/);
    const [npxDir = ''] = readdirSync(join(cache, '_npx'));
    const installedPackages = readdirSync(join(cache, '_npx', npxDir, 'node_modules')).filter(
      (name) => !name.startsWith('.'),
    );
    expect(installedPackages).toEqual(['factify-key-rotation']);
  });
});

describe('installed into a new CommonJS TypeScript CDK app with the newest aws-cdk-lib and cdk-nag', () => {
  let app: string;
  let versions: Versions;
  let environment: RotationEnvironment | undefined;

  beforeAll(async () => {
    versions = {
      'aws-cdk-lib': await newest('aws-cdk-lib'),
      constructs: await newest('constructs'),
      'cdk-nag': await newest('cdk-nag'),
    };
    console.log(`The newest the registry serves: ${JSON.stringify(versions)}`);
    app = await createApp(tempDir(), versions);
    await install(app, tarball);
  }, INSTALL_TIMEOUT);

  afterAll(async () => {
    await environment?.close();
  });

  it(
    'synthesizes offline, type-checked, clean under cdk-nag, deploying the bundle the end-to-end tests ran, byte for byte',
    async () => {
      const { stdout } = await expectOk(
        run(
          process.execPath,
          [
            '-p',
            "['aws-cdk-lib', 'cdk-nag'].map((name) => require(name + '/package.json').version).join(' ')",
          ],
          app,
        ),
      );
      expect(stdout.trim()).toBe(`${versions['aws-cdk-lib']} ${versions['cdk-nag']}`);
      const { code, stderr, outdir, connections } = await synth(app);
      expect({ code, stderr: code === 0 ? '' : stderr, connections }).toEqual({
        code: 0,
        stderr: '',
        connections: '',
      });
      expectTheTestedBundle(outdir, 'MyAppStack');
      const template = readFileSync(join(outdir, 'MyAppStack.template.json'), 'utf8');
      expect(template).toContain('"ScheduleExpression": "cron(0 4 ? * SUN *)"');
      expect(await nagFindings(app)).toEqual({ success: true, violations: [] });
    },
    INSTALL_TIMEOUT,
  );

  it('exports from its root every type its public declarations name', () => {
    expect(typesMissingFromRoot(join(app, 'node_modules/factify-key-rotation/lib/types/infra'))).toEqual([]);
  });

  it('resolves to the CommonJS build for require() and to the ES module for import', async () => {
    const { stdout } = await expectOk(
      run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "import { createRequire } from 'node:module';" +
            "console.log(createRequire(process.cwd() + '/').resolve('factify-key-rotation'));" +
            "console.log(import.meta.resolve('factify-key-rotation'));",
        ],
        app,
      ),
    );
    const [required, imported] = stdout.trim().split('\n');
    expect(required).toBe(join(app, 'node_modules/factify-key-rotation/lib/index.cjs'));
    expect(imported).toBe(`file://${join(app, 'node_modules/factify-key-rotation/lib/index.mjs')}`);
  });

  it(
    'works from an ES module too: type-checked, and deploying the same bundle',
    async () => {
      // A .mts file is an ES module even in a CommonJS app, so `npx tsc` checks the package's import types.
      cpSync(join(app, 'lib/my-app-stack.ts'), join(app, 'lib/esm-stack.mts'));
      writeFileSync(
        join(app, 'esm-app.mts'),
        [
          "import * as cdk from 'aws-cdk-lib';",
          "import { FactifyKeyRotationConfigError } from 'factify-key-rotation';",
          "import { MyAppStack } from './lib/esm-stack.mjs';",
          'const app = new cdk.App({ outdir: process.argv[2] });',
          "new MyAppStack(app, 'EsmStack');",
          'app.synth();',
          'console.log(new FactifyKeyRotationConfigError([]) instanceof Error);',
          '',
        ].join('\n'),
      );
      await expectOk(run(join(app, 'node_modules/.bin/tsc'), [], app));
      const outdir = join(tempDir(), 'cdk.out');
      const { stdout } = await expectOk(
        run(join(app, 'node_modules/.bin/tsx'), ['esm-app.mts', outdir], app),
      );
      expect(stdout.trim()).toBe('true');
      expectTheTestedBundle(outdir, 'EsmStack');
    },
    INSTALL_TIMEOUT,
  );

  it('runs `npx factify-rotation --help` and `npx factify-key-rotation --help` in the app and below it', async () => {
    for (const [command, dir] of [
      ['factify-rotation', app],
      ['factify-key-rotation', app],
      ['factify-rotation', join(app, 'lib')],
    ] as const) {
      const { stdout } = await expectOk(run('npx', ['--no-install', command, '--help'], dir));
      expect(stdout).toMatch(/^Usage: factify-rotation <command> <secret-id>/);
    }
  });

  it(
    "runs the installed CLI's status against the emulators",
    async () => {
      environment = await startRotationEnvironment();
      const seeded = seedSecret(environment);
      const { stdout } = await expectOk(
        run('npx', ['--no-install', 'factify-rotation', 'status', 'prod/factify', '--json'], app, {
          ...environment.env,
          AWS_CONFIG_FILE: '/nonexistent/aws-config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
          AWS_EC2_METADATA_DISABLED: 'true',
        }),
      );
      const report = JSON.parse(stdout);
      expect(report.secret).toEqual({ arn: seeded.arn, name: 'prod/factify' });
      expect(report.versions).toEqual([
        expect.objectContaining({ stages: ['AWSCURRENT'], keyId: seeded.initialKey.id, keyState: 'active' }),
      ]);
    },
    INSTALL_TIMEOUT,
  );
});

describe('with the lowest aws-cdk-lib and constructs its peer dependencies admit', () => {
  it(
    'synthesizes the same app, clean under cdk-nag, deploying the same bundle',
    async () => {
      const versions = {
        'aws-cdk-lib': lowest('aws-cdk-lib'),
        constructs: lowest('constructs'),
        'cdk-nag': installed('cdk-nag'),
      };
      expect(versions['aws-cdk-lib']).toMatch(/^2\.\d+\.\d+$/);
      const app = await createApp(tempDir(), versions);
      await install(app, tarball);
      const { stdout } = await expectOk(
        run(process.execPath, ['-p', "require('aws-cdk-lib/package.json').version"], app),
      );
      expect(stdout.trim()).toBe(versions['aws-cdk-lib']);
      const { code, stderr, outdir } = await synth(app);
      expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
      expectTheTestedBundle(outdir, 'MyAppStack');
      expect(await nagFindings(app)).toEqual({ success: true, violations: [] });
    },
    INSTALL_TIMEOUT,
  );
});
