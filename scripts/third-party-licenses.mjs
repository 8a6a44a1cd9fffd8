// Writes the third-party licence notices of a bundle: one entry per npm package whose code esbuild put in
// it (from esbuild's metafile), with the package's name, version, declared licence and the text of its
// licence and notice files. The bundles are shipped without node_modules, so these notices must travel
// beside them (the deployed function's asset directory, the CLI's dist directory).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const NOTICE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;

/**
 * The package directories (node_modules/<name> or node_modules/@scope/<name>) that contributed bytes to
 * the bundle, in any of its files (its entry and its chunks), as esbuild's metafile reports them.
 * @param {import('esbuild').Metafile} metafile
 * @returns {string[]}
 */
export function bundledPackageDirs(metafile) {
  const dirs = new Set();
  for (const { inputs } of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
      if (bytesInOutput === 0) continue;
      const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(path);
      if (match?.[1]) dirs.add(match[1]);
    }
  }
  return [...dirs].sort();
}

/**
 * Writes THIRD-PARTY-LICENSES beside `outfile`, the bundle's entry file.
 * @param {import('esbuild').Metafile} metafile
 * @param {string} outfile
 */
export async function writeThirdPartyLicenses(metafile, outfile) {
  const entries = [];
  // Most of the AWS SDK's packages ship the same Apache-2.0 text: print each text once.
  const firstWith = new Map();
  for (const dir of bundledPackageDirs(metafile)) {
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    const files = (await readdir(dir)).filter((name) => NOTICE_FILE.test(name)).sort();
    const texts = await Promise.all(files.map((name) => readFile(join(dir, name), 'utf8')));
    const licence = typeof manifest.license === 'string' ? manifest.license : 'not declared';
    const id = `${manifest.name}@${manifest.version}`;
    const text = texts.map((part) => part.trim()).join('\n\n');
    const earlier = firstWith.get(text);
    if (text && earlier === undefined) firstWith.set(text, id);
    entries.push(
      [
        id,
        `License: ${licence}`,
        ...(manifest.repository ? [`Repository: ${manifest.repository.url ?? manifest.repository}`] : []),
        '',
        !text
          ? `(The package ships no licence file; it declares the ${licence} licence in its package.json.)`
          : earlier
            ? `(The same licence text as ${earlier}, above.)`
            : text,
      ].join('\n'),
    );
  }
  const header =
    `Third-party packages bundled into ${basename(outfile)} and the chunks it imports (this directory) by ` +
    'esbuild, with their licence ' +
    `notices: ${entries.length} packages.`;
  await writeFile(
    join(dirname(outfile), 'THIRD-PARTY-LICENSES'),
    `${[header, ...entries].join(`\n\n${'-'.repeat(78)}\n\n`)}\n`,
  );
}
