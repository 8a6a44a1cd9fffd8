// Bundles the rotation function into the single ESM file that the stack deploys and the end-to-end tests
// run, and the operator CLI into the file that package.json's `bin` points at, each with the licence
// notices of the packages bundled into it (THIRD-PARTY-LICENSES).
import { chmod } from 'node:fs/promises';
import { build } from 'esbuild';
import { writeThirdPartyLicenses } from './third-party-licenses.mjs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  // Prefer a package's ES module build: the AWS SDK's tree-shakes (~450 KB of SDK shrinks to ~300 KB and
  // loads ~15 ms faster), where its CommonJS build, esbuild's default for platform node, is taken whole.
  mainFields: ['module', 'main'],
  legalComments: 'none',
  // Error classes keep their names through minification: logs and alerts say KeyLimitError, not `c`.
  keepNames: true,
  // What went into each bundle, for its THIRD-PARTY-LICENSES.
  metafile: true,
  logLevel: 'warning',
};
// undici and the SDK are CommonJS: give the bundles a real `require` so their Node built-in imports resolve.
const requireShim =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

const bundles = [
  {
    entryPoints: ['lambda/index.ts'],
    outfile: 'dist/lambda/index.mjs',
    minify: true,
    sourcemap: true,
    banner: { js: requireShim },
  },
  {
    entryPoints: ['cli/index.ts'],
    outfile: 'dist/cli/index.mjs',
    minify: true,
    // Run directly by npm's bin link, or as ./dist/cli/index.mjs.
    banner: { js: `#!/usr/bin/env node\n${requireShim}` },
  },
];

// Each bundle's licence notices go beside it: the function's asset directory ships them with the code.
await Promise.all(
  bundles.map(async (options) => {
    const result = await build({ ...common, ...options });
    await writeThirdPartyLicenses(result.metafile, options.outfile);
  }),
);
await chmod('dist/cli/index.mjs', 0o755);
