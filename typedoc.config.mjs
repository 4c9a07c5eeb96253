// @ts-check
/**
 * TypeDoc configuration: the API reference (from lib/index.ts) and the guides (README.md, docs/*.md)
 * as one site. `npm run docs` writes it to docs/api (not published: package.json `files` lists the
 * guides one by one); `npm test` builds the same site into a temporary directory
 * (scripts/docs-check.ts), so a broken link or anchor fails the tests.
 *
 * A JavaScript file rather than typedoc.json for one reason: {@link headingAnchorsKeepCode}, which
 * needs a function (`markdownItLoader`).
 */

/**
 * TypeDoc 0.28 builds a heading's anchor and its entry in the page's table of contents from the
 * heading's plain text only: the words in backticks are dropped, so "Encryption: `encrypt: true`"
 * becomes `#encryption-` and its navigation entry reads "Encryption: ". GitHub and the npm registry
 * keep those words (`#encryption-encrypt-true`). The guides are read in both places, so their links
 * must use one anchor: this hands every inline code span of a heading a text child holding its
 * code, which TypeDoc's slugger reads; the code span itself still renders as code.
 *
 * @param {import('markdown-it').default} md the parser TypeDoc uses
 */
function headingAnchorsKeepCode(md) {
  md.core.ruler.push('safe-state-heading-code-text', (state) => {
    state.tokens.forEach((token, i) => {
      if (token.type !== 'inline' || state.tokens[i - 1]?.type !== 'heading_open') return;
      for (const child of token.children ?? []) {
        if (child.type !== 'code_inline' || child.children) continue;
        const text = new state.Token('text', '', 0);
        text.content = child.content;
        child.children = [text];
      }
    });
  });
}

/** @type {Partial<import('typedoc').TypeDocOptions>} */
const config = {
  entryPoints: ['lib/index.ts'],
  out: 'docs/api',
  tsconfig: 'tsconfig.json',
  name: 'safe-state',
  readme: 'README.md',
  // the samples too (samples/README.md lists each sample's page as a child), so that the guides'
  // links to a sample open its page rather than a raw .md file
  projectDocuments: ['docs/*.md', 'samples/README.md'],
  // the README's own "# safe-state" is the front page's one title
  headings: { readme: false },
  excludeInternal: true,
  disableSources: true,
  treatWarningsAsErrors: true,
  validation: {
    notExported: true,
    invalidLink: true,
    invalidPath: true,
    rewrittenLink: true,
    notDocumented: true,
    unusedMergeModuleWith: true,
  },
  markdownItLoader: headingAnchorsKeepCode,
};

export default config;
