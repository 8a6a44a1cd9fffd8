/**
 * Checks the internal links of the user documentation (README.md and docs/*.md): every relative link must
 * name a file of the repository, and every `#anchor`, in the same file or another Markdown file, a heading
 * (as GitHub slugs it) or an explicit `id`/`name`. Alarm descriptions and other documents link to these
 * anchors, so a renamed heading must fail CI rather than strand a reader. A source path quoted as code
 * (`lambda/keys/ownership.ts`) must name a file too: moving a module must not leave the docs pointing at
 * nothing. Links to other sites are not fetched: CI has no network but the registries.
 *
 * `tsx scripts/check-doc-links.ts` prints each broken link and exits 1; `npm test` runs the same check
 * (test/docs/links.test.ts).
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BrokenLink {
  /** The document, relative to the repository root. */
  readonly file: string;
  readonly line: number;
  readonly target: string;
  readonly reason: string;
}

/** README.md and every Markdown file in docs/, relative to the root. */
export function documentationFiles(root: string): string[] {
  const docs = join(root, 'docs');
  const inDocs = existsSync(docs)
    ? readdirSync(docs)
        .filter((name) => name.endsWith('.md'))
        .sort()
        .map((name) => `docs/${name}`)
    : [];
  return ['README.md', ...inDocs];
}

/** The Markdown with fenced code blocks blanked out (line numbers kept), where nothing is a link or heading. */
function withoutCodeBlocks(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined) {
      if (marker === undefined) return line;
      fence = marker;
      return '';
    }
    if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
    return '';
  });
}

/** Inline code spans hold text, not links: blank them (keeping the length). */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)[\s\S]*?\1/g, (span) => ' '.repeat(span.length));
}

/** GitHub's heading anchor: lower case, punctuation dropped, each space a hyphen (github-slugger). */
export function slug(headingText: string): string {
  const text = headingText
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text, not its target
    .replace(/<[^>]+>/g, '') // inline HTML
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor a document defines: its headings' slugs (repeats numbered as GitHub does) and HTML ids. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCodeBlocks(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const base = slug(heading);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const match of line.matchAll(/<a\s[^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']/gi)) {
      if (match[1] !== undefined) anchors.add(match[1]);
    }
  }
  return anchors;
}

/** The link targets of a document, with their line numbers: inline links and reference definitions. */
export function linksOf(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  withoutCodeBlocks(markdown).forEach((raw, index) => {
    const line = withoutCodeSpans(raw);
    for (const match of line.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+["'][^)]*["'])?\s*\)/g)) {
      if (match[1] !== undefined) links.push({ line: index + 1, target: match[1] });
    }
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+["'(].*)?$/.exec(line)?.[1];
    if (definition !== undefined) links.push({ line: index + 1, target: definition });
  });
  return links;
}

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

/** A repository path quoted as inline code: a file under one of the source folders, with its extension. */
const SOURCE_PATH = /^(?:lambda|cli|infra|test|scripts|docs)\/[\w./-]*\.(?:ts|mjs|md|json)$/;

/** The source paths a document quotes as inline code, with their line numbers (not those in code blocks). */
export function sourcePathsOf(markdown: string): { line: number; path: string }[] {
  const paths: { line: number; path: string }[] = [];
  withoutCodeBlocks(markdown).forEach((line, index) => {
    for (const match of line.matchAll(/(`+)([^`]+?)\1/g)) {
      const quoted = match[2]?.trim();
      if (quoted !== undefined && SOURCE_PATH.test(quoted)) paths.push({ line: index + 1, path: quoted });
    }
  });
  return paths;
}

/** Every broken internal link and quoted source path of the given documents (default: README.md, docs/*.md). */
export function findBrokenLinks(
  root: string,
  files: readonly string[] = documentationFiles(root),
): BrokenLink[] {
  const anchorCache = new Map<string, Set<string>>();
  const anchorsIn = (path: string) => {
    let anchors = anchorCache.get(path);
    if (anchors === undefined) {
      anchors = anchorsOf(readFileSync(path, 'utf8'));
      anchorCache.set(path, anchors);
    }
    return anchors;
  };
  const broken: BrokenLink[] = [];
  for (const file of files) {
    const path = resolve(root, file);
    for (const { line, target } of linksOf(readFileSync(path, 'utf8'))) {
      if (EXTERNAL.test(target) || target.startsWith('//')) continue;
      const report = (reason: string) => broken.push({ file, line, target, reason });
      if (target === '') {
        report('empty link');
        continue;
      }
      const hashAt = target.indexOf('#');
      const pathPart = hashAt === -1 ? target : target.slice(0, hashAt);
      const anchor = hashAt === -1 ? undefined : decodeURIComponent(target.slice(hashAt + 1));
      const linked = pathPart === '' ? path : resolve(dirname(path), decodeURIComponent(pathPart));
      if (pathPart.startsWith('/')) {
        report('an absolute path: GitHub and npm resolve it differently; use a relative one');
        continue;
      }
      if (relative(root, linked).startsWith('..')) {
        report('points outside the repository');
        continue;
      }
      if (!existsSync(linked)) {
        report(`no file ${relative(root, linked)}`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!linked.endsWith('.md') || statSync(linked).isDirectory()) {
        report('an anchor into a file that is not Markdown');
        continue;
      }
      if (!anchorsIn(linked).has(anchor)) report(`no heading or id "${anchor}" in ${relative(root, linked)}`);
    }
    for (const { line, path: quoted } of sourcePathsOf(readFileSync(path, 'utf8'))) {
      if (!existsSync(resolve(root, quoted))) {
        broken.push({ file, line, target: quoted, reason: 'no such file in the repository' });
      }
    }
  }
  return broken;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const broken = findBrokenLinks(root);
  for (const link of broken) console.error(`${link.file}:${link.line}: ${link.target}: ${link.reason}`);
  console.log(`${broken.length} broken internal link(s) in ${documentationFiles(root).join(', ')}`);
  process.exitCode = broken.length === 0 ? 0 : 1;
}
