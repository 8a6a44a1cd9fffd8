// Bundles the rotation function into the single ESM file that the stack deploys and the end-to-end tests
// run, and the operator CLI into the file that package.json's `bin` points at, each with the licence
// notices of the packages bundled into it (THIRD-PARTY-LICENSES).
import { chmod, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { writeThirdPartyLicenses } from './third-party-licenses.mjs';

// Node.js builtins loaded through `require` rather than `import`. An ES import of a builtin builds its ESM
// facade, which reads every export, lazy getters included: `import 'node:http'` alone loads Node.js's own
// copy of undici for http.WebSocket (~70 ms of a cold start on Node.js 24, measured by `npm run bench`).
// `require` returns the same module object without reading its getters, and esbuild's interop reads a
// property only where the code uses it.
const builtinsThroughRequire = {
  name: 'builtins-through-require',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.kind !== 'import-statement' || !builtinModules.includes(name)) return undefined;
      return { path: `node:${name}`, namespace: 'builtin-require' };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

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
  plugins: [builtinsThroughRequire],
};
// undici and the SDK are CommonJS: give the bundles a real `require` so their Node built-in imports resolve.
const requireShim =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

const bundles = [
  {
    entryPoints: ['lambda/index.ts'],
    outdir: 'dist/lambda',
    entryNames: 'index',
    // The handler imports the AWS SDK and undici adapters, the audit and the Scheduler client with import()
    // when an invocation needs them: as chunks of their own, V8 parses them then, not in Lambda's init phase
    // (one file made every cold start parse all 700 KB). The stack deploys the directory.
    splitting: true,
    chunkNames: '[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    minify: true,
    sourcemap: true,
    // Stack traces need the mappings only. With the sources' text the map is 2.5 MB, which Node.js reads and
    // decodes at every cold start under the function's NODE_OPTIONS=--enable-source-maps.
    sourcesContent: false,
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

// Chunk names change with their content: chunks of an earlier build must not ship with this one.
await rm('dist/lambda', { recursive: true, force: true });

// Each bundle's licence notices go beside it: the function's asset directory ships them with the code.
await Promise.all(
  bundles.map(async (options) => {
    const result = await build({ ...common, ...options });
    await writeThirdPartyLicenses(
      result.metafile,
      join(options.outdir ?? dirname(options.outfile), 'index.mjs'),
    );
  }),
);
await chmod('dist/cli/index.mjs', 0o755);
