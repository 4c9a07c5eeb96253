/**
 * The terminal sanitiser: every character a terminal acts on, or that hides what a name is,
 * becomes a visible escape; everything printable stays as it is.
 */
import { jsonForTerminal, terminalLines, terminalText } from '../../lib/util/terminal-text';

describe('terminalText', () => {
  it.each([
    ['OSC 0 window title', 'a\x1b]0;title\x07b', 'a\\x1b]0;title\\x07b'],
    ['OSC 8 hyperlink', '\x1b]8;;https://x.example/\x1b\\t\x1b]8;;\x1b\\', '\\x1b]8;;https://x.example/\\x1b\\t\\x1b]8;;\\x1b\\'],
    ['CSI clear screen and cursor moves', '\x1b[2J\x1b[H\x1b[3A', '\\x1b[2J\\x1b[H\\x1b[3A'],
    ['DCS', '\x1bPq\x1b\\', '\\x1bPq\\x1b\\'],
    ['CR, LF, TAB, BEL, BS, NUL', 'a\rb\nc\td\x07e\x08f\x00', 'a\\rb\\nc\\td\\x07e\\x08f\\x00'],
    ['DEL', 'x\x7fy', 'x\\x7fy'],
    ['C1 controls (CSI, OSC, ST, NEL)', '\u009b2J\u009d0;t\u009c\u0085', '\\x9b2J\\x9d0;t\\x9c\\x85'],
    ['bidi overrides, embeddings, isolates, marks', '\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c', '\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c'],
    ['invisible look-alike makers', 'a\u200bb\u00adc\u2060d\ufeffe\u180e', 'a\\u200bb\\xadc\\u2060d\\ufeffe\\u180e'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    ['tag characters', 'x\u{e0041}\u{e007f}', 'x\\u{e0041}\\u{e007f}'],
    ['lone surrogates', 'a\ud800b\udc00', 'a\\ud800b\\udc00'],
  ])('%s', (_what, raw, shown) => {
    expect(terminalText(raw)).toBe(shown);
  });

  it('leaves printable text alone: accents, CJK, emoji (with ZWJ), box drawing, a backslash', () => {
    const text = 'café 東京 👨‍👩‍👧 😀 [█▎░] a\\b ZWNJ:\u200c';
    expect(terminalText(text)).toBe(text);
  });
});

describe('terminalLines', () => {
  it('keeps line feeds, escapes everything else (CR too)', () => {
    expect(terminalLines('Error: a\x1b[2J\r\n    at f (x.ts:1:2)\n')).toBe('Error: a\\x1b[2J\\r\n    at f (x.ts:1:2)\n');
  });
});

describe('jsonForTerminal', () => {
  it('writes C1, bidi and invisible characters as \\u escapes; the JSON value is unchanged', () => {
    const value = { job: 'a\u202eb\u009bc\u200bd\u{e0041}\x1b\n' };
    const json = jsonForTerminal(JSON.stringify(value));
    expect(json).toBe('{"job":"a\\u202eb\\u009bc\\u200bd\\udb40\\udc41\\u001b\\n"}');
    expect(JSON.parse(json)).toEqual(value);
  });
});
