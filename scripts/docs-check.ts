/**
 * `npm run docs:check` (part of `npm test`): builds the documentation site exactly as
 * `npm run docs` does, but into a temporary directory (removed afterwards), and fails when the
 * build has any error or warning or when a link of the built site points at an anchor that does not
 * exist.
 *
 * Two layers, because each catches what the other cannot:
 * - TypeDoc itself (typedoc.config.mjs: `treatWarningsAsErrors` and `validation`): unresolved
 *   `{@link}`s, undocumented exports, links to missing files, and links to an anchor of another page
 *   that the page does not have. These checks only run when the site is rendered: `typedoc --emit
 *   none` (the former check) skips them, which is how two broken anchors went unnoticed.
 * - This script, over the generated HTML: every `href="page.html#anchor"` and `href="#anchor"`
 *   must name an `id` (or `name`) of its target page. TypeDoc does not check links within one page.
 *   And no link may lead to a markdown file outside the site (a raw copy in `media/`).
 *
 * Usage: `tsx scripts/docs-check.ts [projectDir]` (default: the repository root; the tests point it
 * at a copy with a broken link). Exit status 0 when clean, 1 otherwise, with one line per problem.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root. */
const ROOT = path.resolve(__dirname, '..');

/** One broken link found in the built site. */
export interface BrokenAnchor {
  /** the page holding the link, relative to the site root */
  page: string;
  /** the link as written in the page (`href`) */
  href: string;
}

function htmlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.html'))
    .map((f) => path.join(dir, f));
}

function anchorsOf(html: string): Set<string> {
  const ids = new Set<string>();
  for (const m of html.matchAll(/\s(?:id|name)="([^"]*)"/g)) ids.add(decodeEntities(m[1]!));
  return ids;
}

function decodeEntities(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * The links of a built site (`siteDir`) whose anchor is missing from their target page, and links to
 * a markdown file that is not a page of the site (TypeDoc copies such a file to `media/`, where a
 * browser shows it raw or downloads it: list it in `projectDocuments` or as a child in the
 * frontmatter of a listed document). Links to other sites, and to other files (icons), are not
 * checked.
 */
export function brokenAnchors(siteDir: string): BrokenAnchor[] {
  const pages = htmlFiles(siteDir);
  const anchors = new Map<string, Set<string>>();
  const read = (file: string): Set<string> | undefined => {
    if (!anchors.has(file)) {
      if (!fs.existsSync(file)) return undefined;
      anchors.set(file, anchorsOf(fs.readFileSync(file, 'utf8')));
    }
    return anchors.get(file);
  };
  const broken: BrokenAnchor[] = [];
  for (const page of pages) {
    const html = fs.readFileSync(page, 'utf8');
    // a guide links to a markdown file that is not a page of the site: TypeDoc copied it to media/
    for (const m of html.matchAll(/\shref="([^"#]*media\/[^"#]*\.md)(#[^"]*)?"/g)) broken.push({ page: path.relative(siteDir, page), href: decodeEntities(m[1]! + (m[2] ?? '')) });
    for (const m of html.matchAll(/\shref="([^"]*)#([^"]*)"/g)) {
      const [href, target, rawAnchor] = [decodeEntities(m[0].slice(7, -1)), decodeEntities(m[1]!), decodeEntities(m[2]!)];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // another site
      if (target !== '' && !target.endsWith('.html')) continue; // icons.svg#icon-…
      if (target === '' && rawAnchor === '') continue; // href="#": the top of the page
      const file = target === '' ? page : path.resolve(path.dirname(page), target);
      let anchor = rawAnchor;
      try { anchor = decodeURIComponent(rawAnchor); } catch { /* keep it as written */ }
      const ids = read(file);
      if (ids === undefined || !(ids.has(anchor) || ids.has(rawAnchor))) {
        broken.push({ page: path.relative(siteDir, page), href });
      }
    }
  }
  return broken.sort((a, b) => (a.page + a.href < b.page + b.href ? -1 : 1));
}

/** The outcome of {@link checkDocs}. */
export interface DocsCheck {
  /** TypeDoc's exit status (0: no error, no warning) */
  typedocStatus: number | null;
  /** what TypeDoc printed */
  typedocOutput: string;
  /** links of the built site whose anchor does not exist */
  broken: BrokenAnchor[];
}

/**
 * Builds the site of the project in `projectDir` into `keepIn` (left there), or into a temporary
 * directory (removed), and checks it.
 */
export function checkDocs(projectDir: string = ROOT, keepIn?: string): DocsCheck {
  const out = keepIn ?? fs.mkdtempSync(path.join(os.tmpdir(), 'safe-state-docs-'));
  try {
    const typedoc = path.join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const run = spawnSync(process.execPath, [typedoc, '--out', out], { cwd: projectDir, encoding: 'utf8' });
    const typedocOutput = `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}`;
    const broken = fs.existsSync(path.join(out, 'index.html')) ? brokenAnchors(out) : [];
    return { typedocStatus: run.status, typedocOutput, broken };
  } finally {
    if (keepIn === undefined) fs.rmSync(out, { recursive: true, force: true });
  }
}

function main(): void {
  const projectDir = path.resolve(process.argv[2] ?? ROOT);
  const result = checkDocs(projectDir);
  process.stdout.write(result.typedocOutput);
  for (const b of result.broken) {
    const why = /(^|\/)media\/[^#]*\.md(#|$)/.test(b.href) ? 'a markdown file that is not a page of the site (add it to projectDocuments in typedoc.config.mjs, or as a child of samples/README.md)' : 'an anchor that does not exist';
    process.stdout.write(`docs: ${b.page} links to ${b.href}: ${why}\n`);
  }
  if (result.typedocStatus !== 0 || result.broken.length > 0) {
    process.stdout.write(`docs check failed: typedoc exit status ${String(result.typedocStatus)}, ${result.broken.length} broken link(s)\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write('docs check: site built with no warning, every anchor found, every guide and sample a page\n');
}

if (require.main === module) main();
