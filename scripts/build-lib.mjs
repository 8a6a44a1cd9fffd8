// Builds the construct library the package exports (package.json "exports"): one ES module and one CommonJS
// file, each bundling infra/ and whatever it imports except aws-cdk-lib and constructs, which the app provides
// (peer dependencies; one copy, or instanceof checks and construct trees break), plus their type declarations. lib/ sits one level below the package root like infra/, so the construct finds the
// function bundle at ../dist/lambda from its compiled module exactly as from its source.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

const common = {
  entryPoints: ['infra/index.ts'],
  bundle: true,
  external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'],
  platform: 'node',
  target: 'node22',
  legalComments: 'none',
  logLevel: 'warning',
};

await rm('lib', { recursive: true, force: true });
await Promise.all([
  build({ ...common, format: 'esm', outfile: 'lib/index.mjs' }),
  build({
    ...common,
    format: 'cjs',
    outfile: 'lib/index.cjs',
    // CommonJS has no import.meta: give the module its own file URL, as an ES module has.
    define: { 'import.meta.url': '__factifyModuleUrl' },
    banner: { js: "const __factifyModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  }),
]);

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.lib.json'], {
  stdio: 'inherit',
});
// The same declarations typed as CommonJS for require() users: TypeScript reads a .d.ts as the module format
// of its nearest package.json.
await mkdir('lib/cjs-types', { recursive: true });
await cp('lib/types', 'lib/cjs-types', { recursive: true });
await writeFile('lib/cjs-types/package.json', '{ "type": "commonjs" }\n');
