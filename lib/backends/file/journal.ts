import { crc32 } from './crc32';
import { checkCheckpointSize } from '../../state/limits';

/**
 * The framing of a FileBackend file (docs/format.md): a header line, then one line per record,
 * each `<crc32 as 8 hex digits> <payload>\n`. The engine's records are opaque here.
 * @internal
 */
export const JOURNAL_MAGIC = 'safestate-journal';
/** @internal */
export const JOURNAL_VERSION = 1;

/** @internal */
export function encodeHeader(jobName: string): string {
  return `${JOURNAL_MAGIC} ${JOURNAL_VERSION} ${JSON.stringify(jobName)}\n`;
}

/** `00`..`ff`: formatting a checksum by table is about twice as fast as toString(16).padStart(8). */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function frameLine(payload: string): string {
  const c = crc32(payload) >>> 0;
  return HEX[c >>> 24] + HEX[(c >>> 16) & 255] + HEX[(c >>> 8) & 255] + HEX[c & 255] + ' ' + payload + '\n';
}

/**
 * Frames engine text (lines, each ending in `\n`) as journal records.
 * @internal
 */
export function encodeRecords(text: string): string {
  const first = text.indexOf('\n');
  if (first === text.length - 1) return frameLine(text.slice(0, first)); // the hot path: one record
  let out = '';
  let start = 0;
  for (let nl = first; nl !== -1; nl = text.indexOf('\n', start)) {
    out += frameLine(text.slice(start, nl));
    start = nl + 1;
  }
  if (start < text.length) out += frameLine(text.slice(start));
  return out;
}

/** What went wrong while reading a journal, with the 1-based line. @internal */
export class JournalDamage extends Error {
  constructor(readonly line: number, detail: string, readonly newer = false) {
    super(detail);
  }
}

/** @internal */
export interface DecodedJournal {
  jobName: string;
  /** payload lines, each ending in `\n` */
  text: string;
  /** whether a torn final record (the trace of a crash) was dropped */
  tornTail: boolean;
}

/**
 * Reads a journal file's text. The length is checked first, against
 * `SERIALIZATION_LIMITS.maxCheckpointChars`, before anything is parsed. A torn final record is the
 * normal trace of a process killed during an append and is dropped: a last line without its
 * newline (the write was cut short), or a last line holding NUL characters (blocks of an append
 * that a power loss left unwritten). Anything else is damage and throws {@link JournalDamage}: a
 * record with a bad checksum anywhere (also a complete last line: a kill cannot produce one, while
 * a newline flipped in the record before it can), and a snapshot record (the first, always written
 * whole by an atomic rewrite) that is cut short.
 * @internal
 */
export function decodeJournal(content: string): DecodedJournal {
  try {
    checkCheckpointSize(content);
  } catch (e) {
    throw new JournalDamage(1, (e as Error).message);
  }
  const headerEnd = content.indexOf('\n');
  if (headerEnd === -1) throw new JournalDamage(1, content.length === 0 ? 'the file is empty' : 'the header line is incomplete');
  const header = content.slice(0, headerEnd);
  const m = /^safestate-journal (\d+) (".*")$/.exec(header);
  if (!m) throw new JournalDamage(1, 'not a safe-state checkpoint file (bad header)');
  const version = Number(m[1]);
  if (version > JOURNAL_VERSION) {
    throw new JournalDamage(1, `written by a newer safe-state (file format ${version}; this version reads up to ${JOURNAL_VERSION}): upgrade safe-state to resume it`, true);
  }
  let jobName: string;
  try {
    jobName = JSON.parse(m[2]) as string;
  } catch {
    throw new JournalDamage(1, 'bad job name in the header');
  }
  // payloads are gathered and joined once: a flat string (a long chain of `+=` would be flattened
  // later, at a cost of its own)
  const payloads: string[] = [];
  let tornTail = false;
  let line = 1;
  let start = headerEnd + 1;
  while (start < content.length) {
    line++;
    const nl = content.indexOf('\n', start);
    if (nl === -1) {
      if (line === 2) throw new JournalDamage(line, 'the snapshot record is cut short (the file was truncated or damaged)');
      tornTail = true; // an append cut short by a kill
      break;
    }
    const raw = content.slice(start, nl);
    start = nl + 1;
    const payload = raw.slice(9);
    const ok = raw.length >= 9 && raw[8] === ' ' && /^[0-9a-f]{8}$/.test(raw.slice(0, 8)) && parseInt(raw.slice(0, 8), 16) === crc32(payload) >>> 0;
    if (!ok) {
      if (start >= content.length && line > 2 && raw.includes('\0')) {
        tornTail = true; // an append whose blocks a power loss left unwritten
        break;
      }
      throw new JournalDamage(line, 'checksum mismatch (the record is damaged)');
    }
    payloads.push(payload);
  }
  payloads.push('');
  return { jobName, text: payloads.length === 1 ? '' : payloads.join('\n'), tornTail };
}
