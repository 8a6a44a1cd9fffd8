// Bundles the rotation function into the single ESM file that the stack deploys and the end-to-end tests run.
import { build } from 'esbuild';

await build({
  entryPoints: ['lambda/index.ts'],
  outfile: 'dist/lambda/index.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  metafile: false,
  // undici and the SDK are CommonJS: give the bundle a real `require` so their Node built-in imports resolve.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: 'warning',
});
