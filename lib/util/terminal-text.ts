/*
 * Text for a terminal. Job names, file names and error messages come from users and from
 * checkpoints (which someone else may have written): printed raw, an ESC or C1 byte starts a
 * control sequence (set the window title with OSC 0, plant a hyperlink with OSC 8, clear the screen
 * with CSI 2J, move the cursor, ring the bell), a CR returns to the start of the line and
 * overwrites what was there, a newline breaks a table row in two, and a bidi override shows text in
 * another order than it has. Escaping the one character that starts each of these is enough to
 * make the whole sequence inert: what follows an escaped ESC is ordinary printable text.
 */

/**
 * What is escaped, as one character class:
 * - C0 controls U+0000–U+001F (NUL, BEL, BS, TAB, LF, VT, FF, CR, ESC, …) and DEL U+007F;
 * - C1 controls U+0080–U+009F (CSI U+009B, OSC U+009D, DCS U+0090, ST U+009C, NEL U+0085, …);
 * - bidi formatting: ALM U+061C, LRM/RLM U+200E–U+200F, embeddings and overrides
 *   U+202A–U+202E, isolates U+2066–U+2069;
 * - invisible characters that make two different names look the same: soft hyphen U+00AD,
 *   Mongolian vowel separator U+180E, zero-width space U+200B, word joiner and invisible operators
 *   U+2060–U+2064, zero-width no-break space (BOM) U+FEFF, and the tag characters
 *   U+E0000–U+E007F (invisible text);
 * - line and paragraph separators U+2028–U+2029 (line breaks to some viewers);
 * - lone surrogates (not a character at all).
 * Zero-width joiner and non-joiner (U+200C–U+200D) stay: scripts and emoji need them.
 */
const OTHER = '\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b\\u200e\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\u{e0000}-\\u{e007f}';
// with the `u` flag a surrogate range matches lone surrogates only (a pair is one code point)
const UNSAFE = new RegExp(`[\\u0000-\\u001f${OTHER}\\ud800-\\udfff]`, 'gu');
/** The same, without the line feed: for text whose lines are ours (a stack trace, util.inspect output). */
const UNSAFE_KEEP_LF = new RegExp(`[\\u0000-\\u0009\\u000b-\\u001f${OTHER}\\ud800-\\udfff]`, 'gu');

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escape(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const cp = ch.codePointAt(0)!;
  if (cp < 0x100) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp > 0xffff) return `\\u{${cp.toString(16)}}`;
  return `\\u${cp.toString(16).padStart(4, '0')}`;
}

/**
 * One line of text that is safe to print on a terminal: every control character (C0, DEL, C1),
 * bidi control and invisible look-alike maker becomes a visible escape in JavaScript notation
 * (`\n`, `\r`, `\t`, `\x1b`, `\x07`, `\x9b`, `\u202e`, `\u{e0041}`), so the text cannot drive the
 * terminal, cannot span two lines, and still reads as the name it is. Printable characters,
 * including a backslash, are left as they are.
 * @internal
 *
 * @example
 * ```ts
 * terminalText('job\x1b]0;owned\x07\nnext'); // 'job\\x1b]0;owned\\x07\\nnext'
 * ```
 */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, escape);
}

/**
 * Like {@link terminalText}, but line feeds stay line feeds: for multi-line text whose lines are
 * meant (a stack trace, `util.inspect` output, a whole block of command output). A CR is escaped.
 * @internal
 *
 * @example
 * ```ts
 * terminalLines('Error: boom\r\n    at f'); // 'Error: boom\\r\n    at f'
 * ```
 */
export function terminalLines(text: string): string {
  return text.replace(UNSAFE_KEEP_LF, escape);
}

/** Characters JSON text may carry raw inside strings that a terminal would act on (C1, bidi, invisible). */
const JSON_UNSAFE = new RegExp(`[${OTHER}]`, 'gu');

const utf16Escapes = (s: string): string => s.split('').map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

/**
 * JSON text (from `JSON.stringify`, which already escapes C0 controls and lone surrogates) with
 * the characters a terminal would act on written as `\uXXXX` escapes. The JSON value is unchanged:
 * `JSON.parse` gives back exactly the same strings.
 * @internal
 *
 * @example
 * ```ts
 * jsonForTerminal(JSON.stringify({ job: 'a\u202eb' })); // '{"job":"a\\u202eb"}'
 * ```
 */
export function jsonForTerminal(json: string): string {
  return json.replace(JSON_UNSAFE, utf16Escapes);
}
