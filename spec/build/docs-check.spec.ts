import * as fs from 'node:fs';
import * as path from 'node:path';
import { brokenAnchors, checkDocs } from '../../scripts/docs-check';
import { tempDir } from '../helpers';

/**
 * The documentation check that `npm test` runs (scripts/docs-check.ts): it builds the site the way
 * `npm run docs` does and fails on a link to an anchor that does not exist, whether TypeDoc sees it
 * (another page's anchor) or not (an anchor of the same page), and on a link to a markdown file
 * that is not a page of the site. The repository's own docs pass the
 * same check as part of `npm test` (`npm run docs:check`); here a copy of them gets broken links.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const OUT = tempDir('safe-state-docs-check-');

function copyProject(to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of ['README.md', 'LICENSE', 'package.json', 'tsconfig.json', 'typedoc.config.mjs', 'docs', 'lib', 'samples', 'spec', 'bench']) {
    const from = path.join(ROOT, entry);
    if (!fs.existsSync(from)) continue;
    fs.cpSync(from, path.join(to, entry), { recursive: true, filter: (src) => !src.startsWith(path.join(ROOT, 'docs', 'api')) });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(to, 'node_modules'), 'dir');
}

describe('the docs check (npm run docs:check)', () => {
  afterAll(() => fs.rmSync(OUT, { recursive: true, force: true }));

  it('fails on a link to a missing anchor of another guide and of the same guide; finds anchors of headings with code as GitHub names them', () => {
    const project = path.join(OUT, 'broken');
    copyProject(project);
    const faq = path.join(project, 'docs', 'faq.md');
    fs.appendFileSync(
      faq,
      [
        '',
        '## Links made by the docs-check test',
        '',
        'Broken: [elsewhere](resume.md#no-such-heading-in-resume) and [here](#no-such-heading-here).',
        '',
        'Fine: [heading with code](security.md#encryption-encrypt-true) and [same page](#a-heading-with-checkpoint-code).',
        '',
        '## A heading with `checkpoint()` code',
        '',
      ].join('\n'),
    );

    const site = path.join(OUT, 'broken-site');
    const result = checkDocs(project, site);

    expect(result.typedocStatus).not.toBe(0);
    expect(result.typedocOutput).toContain('resume.md#no-such-heading-in-resume');
    expect(result.typedocOutput).not.toContain('security.md#encryption-encrypt-true');
    expect(result.broken).toEqual([
      { page: path.join('documents', 'Limits_and_FAQ.html'), href: '#no-such-heading-here' },
      { page: path.join('documents', 'Limits_and_FAQ.html'), href: 'How_resume_works.html#no-such-heading-in-resume' },
    ]);

    // the site itself: one title on the front page, guides named as in the README, samples as pages
    expect(fs.readFileSync(path.join(site, 'index.html'), 'utf8').match(/<h1[\s>]/g)).toHaveLength(1);
    const documents = fs.readdirSync(path.join(site, 'documents'));
    expect(documents).toEqual(expect.arrayContaining(['Reconnectors.html', 'Security.html', 'Samples.html', 'Samples.Image_downloads.html']));
    expect(documents.filter((f) => !/^[A-Z]/.test(f))).toEqual([]);
    expect(fs.readFileSync(path.join(site, 'index.html'), 'utf8')).toContain('href="documents/Samples.Image_downloads.html"');
  }, 300_000);

  it('reads anchors from ids and names, links across pages, refuses raw markdown copies, and leaves other sites, icons and images alone', () => {
    const site = path.join(OUT, 'site');
    fs.mkdirSync(path.join(site, 'documents'), { recursive: true });
    fs.writeFileSync(path.join(site, 'index.html'), '<a href="#">top</a><h2 id="intro">Intro</h2><a name="old-style"></a><a href="documents/a.html#part-2">a</a><a href="documents/a.html#gone">gone</a>');
    fs.writeFileSync(path.join(site, 'documents', 'a.html'), '<h2 id="part-2">2</h2><a href="../index.html#old-style">x</a><a href="#intro">not here</a><a href="https://example.com/x.html#y">out</a><use href="../assets/icons.svg#icon-anchor"/><a href="missing.html#z">z</a><a href="../media/README-2.md">a sample left out of the site</a><img src="../media/bench.svg">');
    expect(brokenAnchors(site)).toEqual([
      { page: path.join('documents', 'a.html'), href: '#intro' },
      { page: path.join('documents', 'a.html'), href: '../media/README-2.md' },
      { page: path.join('documents', 'a.html'), href: 'missing.html#z' },
      { page: 'index.html', href: 'documents/a.html#gone' },
    ]);
  });
});
