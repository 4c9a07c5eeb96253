import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DerivedKey, Keyring } from './keyring';
import { SECRET_ENV } from './keyring';
import { CodecError } from './checkpoint-codec';

/**
 * Signing and encryption of checkpoint text, between the engine's codec and the backends, so every
 * backend gets them (docs/security.md, docs/format.md). The sealed text is still lines:
 *
 * Signed (`secret`):
 * ```
 * %safestate-sealed 1 s <kid> <n> <tag>      header: n = lines in the block, tag = MAC of the block
 * <n lines: the plain checkpoint>            the block (a full save)
 * <tag> <record>                             each appended record, its tag chained to the previous tag
 * ```
 * Encrypted (`secret` + `encrypt`):
 * ```
 * %safestate-sealed 1 e <kid>
 * <base64url(iv | AES-256-GCM(block) | gcm tag)>     the block, the header as associated data
 * <base64url(iv | AES-256-GCM(record) | gcm tag)>    each record, the previous tag as associated data
 * ```
 * A signature tag is the first 22 characters of the base64url HMAC-SHA256 (132 bits); a GCM tag
 * is 16 bytes. Each record's tag covers the previous one, so records cannot be changed, dropped
 * from the middle, reordered or moved to another checkpoint without the key; the block's tag also
 * covers the job name. A record cut off at the end (the trace of a crash) simply ends the chain.
 * @internal
 */
export const SEALED_MAGIC = '%safestate-sealed';
const VERSION = 1;
const TAG_BYTES = 16;
const TAG_CHARS = 22;
const IV_BYTES = 12;
const RECORD = 0x01;

/** What the block's tag (or associated data) covers besides the block: mode, key, size, job. */
function context(mode: string, kid: string, n: number | null, jobName: string): string {
  return `\u0000safestate-sealed ${VERSION} ${mode} ${kid}${n === null ? '' : ` ${n}`}\n${JSON.stringify(jobName)}\n`;
}

/**
 * The signature tag of a text: HMAC-SHA256, base64url, first 22 characters (132 bits). Digesting
 * straight to base64url and cutting the string is the cheapest form Node offers (no Buffer), and
 * chaining on the tag text keeps the hot path free of byte copies.
 */
function mac(key: DerivedKey, text: string): string {
  return createHmac('sha256', key.mac).update(text, 'utf8').digest('base64url').slice(0, TAG_CHARS);
}

/** What a record's tag covers: a record marker, the previous tag, the record. */
function recordInput(prev: string, line: string): string {
  return '\u0001' + prev + line;
}

function sameTag(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Seals what one job run writes: full saves start a new chain, appended records continue it.
 * @internal
 */
export class Sealer {
  private readonly key: DerivedKey;
  private readonly encrypt: boolean;
  /** signed: the previous tag */
  private prev = '';
  /** encrypted: [RECORD, previous GCM tag], the next record's associated data */
  private readonly head = Buffer.alloc(1 + TAG_BYTES);
  private chained = false;
  /** random IV prefix of this sealer, plus a counter: unique IVs without a random draw per record */
  private readonly iv = Buffer.alloc(IV_BYTES);
  private counter = 0;

  constructor(keyring: Keyring, private readonly jobName: string) {
    this.key = keyring.keys[0];
    this.encrypt = keyring.encrypt;
    this.head[0] = RECORD;
    this.newIvPrefix();
  }

  private newIvPrefix(): void {
    randomBytes(8).copy(this.iv, 0);
    this.counter = 0;
  }

  private nextIv(): Buffer {
    if (this.counter === 0xffffffff) this.newIvPrefix();
    this.iv.writeUInt32BE(++this.counter, 8);
    return this.iv;
  }

  private seal(aad: Buffer, plain: string): { text: string; tag: Buffer } {
    const iv = this.nextIv();
    const c = createCipheriv('aes-256-gcm', this.key.enc, iv);
    c.setAAD(aad);
    const body = c.update(plain, 'utf8');
    const fin = c.final();
    const tag = c.getAuthTag();
    return { text: Buffer.concat([iv, body, fin, tag]).toString('base64url'), tag };
  }

  /** Seals a whole checkpoint (lines, each ending in `\n`); the chain restarts from it. */
  sealFull(text: string): string {
    const kid = this.key.kid;
    if (this.encrypt) {
      const header = `${SEALED_MAGIC} ${VERSION} e ${kid}`;
      const { text: blob, tag } = this.seal(Buffer.from(context('e', kid, null, this.jobName), 'utf8'), text);
      tag.copy(this.head, 1);
      this.chained = true;
      return `${header}\n${blob}\n`;
    }
    const n = countLines(text);
    const tag = mac(this.key, context('s', kid, n, this.jobName) + text);
    this.prev = tag;
    this.chained = true;
    return `${SEALED_MAGIC} ${VERSION} s ${kid} ${n} ${tag}\n${text}`;
  }

  /** Seals records appended after a full save (lines, each ending in `\n`), one sealed line each. */
  sealRecords(text: string): string {
    if (!this.chained) throw new Error('internal: records sealed before a full save');
    const last = text.length - 1;
    const first = text.indexOf('\n');
    if (first === last) return this.sealLine(text.slice(0, last)); // the hot path: one record
    let out = '';
    let start = 0;
    for (let nl = first; nl !== -1; nl = text.indexOf('\n', start)) {
      out += this.sealLine(text.slice(start, nl));
      start = nl + 1;
    }
    return out;
  }

  private sealLine(line: string): string {
    if (this.encrypt) {
      const { text, tag } = this.seal(this.head, line);
      tag.copy(this.head, 1);
      return text + '\n';
    }
    const tag = mac(this.key, recordInput(this.prev, line));
    this.prev = tag;
    return tag + ' ' + line + '\n';
  }
}

/** Whether stored text is sealed and encrypted (not only signed). @internal */
export function isEncrypted(text: string): boolean {
  return text.startsWith(`${SEALED_MAGIC} ${VERSION} e `);
}

/** Whether stored text is sealed. @internal */
export function isSealed(text: string): boolean {
  return text.startsWith(SEALED_MAGIC + ' ');
}

const MISMATCH = 'the signature does not match';
const CHANGED = 'the checkpoint was changed after it was written, or written with another key';

/**
 * Verifies (and decrypts) sealed text and answers the plain checkpoint text. Plain text passes
 * through when no secret is configured; with a secret, unsigned text is refused. Any mismatch
 * throws {@link CodecError} whose message says the signature does not match, with the line.
 * @internal
 */
export function openSealed(text: string, keyring: Keyring | null, jobName: string): string {
  if (!isSealed(text)) {
    if (keyring) {
      throw new CodecError(1, `the checkpoint is not signed, but a secret is configured (the 'secret' option or ${SECRET_ENV}): refusing to load unsigned data. If it was written before signing was enabled, finish it or clear it without the secret`);
    }
    return text;
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const header = lines[0].split(' ');
  const [, version, mode, kid] = header;
  if (Number(version) > VERSION) throw new CodecError(1, `sealed by a newer safe-state (sealing format ${version}; this version reads up to ${VERSION}): upgrade safe-state to resume it`);
  if (version !== String(VERSION) || (mode !== 's' && mode !== 'e') || !/^[0-9a-f]{8}$/.test(kid ?? '')) throw new CodecError(1, 'malformed sealed-checkpoint header');
  if (!keyring) {
    throw new CodecError(1, `the checkpoint is ${mode === 'e' ? 'encrypted' : 'signed'} (key id ${kid}): configure the secret it was written with (the 'secret' option or ${SECRET_ENV}) to read it`);
  }
  const candidates = keyring.keys.filter((k) => k.kid === kid);
  if (candidates.length === 0) {
    throw new CodecError(1, `${MISMATCH}: the checkpoint was sealed with a key that is not configured (key id ${kid}; configured: ${keyring.keys.map((k) => k.kid).join(', ')}). Add its secret to the list (the first signs, all verify)`);
  }
  let lastError: CodecError | null = null;
  for (const key of candidates) {
    try {
      return mode === 's' ? openSigned(lines, header, key, jobName) : openEncrypted(lines, key, jobName);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      lastError = e;
    }
  }
  throw lastError!;
}

function openSigned(lines: string[], header: string[], key: DerivedKey, jobName: string): string {
  const n = Number(header[4]);
  if (header.length !== 6 || !Number.isSafeInteger(n) || n < 0 || String(n) !== header[4]) throw new CodecError(1, 'malformed sealed-checkpoint header');
  if (lines.length < 1 + n) throw new CodecError(lines.length, `${MISMATCH}: the checkpoint is shorter than its signed part (${n} records): ${CHANGED}`);
  let block = '';
  for (let i = 1; i <= n; i++) block += lines[i] + '\n';
  let prev = mac(key, context('s', key.kid, n, jobName) + block);
  if (!sameTag(prev, header[5])) throw new CodecError(1, `${MISMATCH} (records 1-${n + 1}): ${CHANGED}`);
  let out = block;
  for (let i = 1 + n; i < lines.length; i++) {
    const line = lines[i];
    if (line.length < TAG_CHARS + 1 || line[TAG_CHARS] !== ' ') throw new CodecError(i + 1, `${MISMATCH} (record ${i + 1} carries no signature): ${CHANGED}`);
    const payload = line.slice(TAG_CHARS + 1);
    const expected = mac(key, recordInput(prev, payload));
    if (!sameTag(expected, line.slice(0, TAG_CHARS))) throw new CodecError(i + 1, `${MISMATCH} (record ${i + 1}): ${CHANGED}`);
    prev = expected;
    out += payload + '\n';
  }
  return out;
}

function open(key: DerivedKey, aad: Buffer, blob: string, line: number): { plain: string; tag: Buffer } {
  const raw = /^[A-Za-z0-9_-]*$/.test(blob) ? Buffer.from(blob, 'base64url') : Buffer.alloc(0);
  if (raw.length < IV_BYTES + TAG_BYTES) throw new CodecError(line, `${MISMATCH} (record ${line} is not an encrypted record): ${CHANGED}`);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  try {
    const d = createDecipheriv('aes-256-gcm', key.enc, raw.subarray(0, IV_BYTES));
    d.setAAD(aad);
    d.setAuthTag(tag);
    const plain = Buffer.concat([d.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), d.final()]).toString('utf8');
    return { plain, tag: Buffer.from(tag) };
  } catch {
    throw new CodecError(line, `${MISMATCH} (record ${line} does not decrypt): ${CHANGED}`);
  }
}

function openEncrypted(lines: string[], key: DerivedKey, jobName: string): string {
  if (lines[0].split(' ').length !== 4) throw new CodecError(1, 'malformed sealed-checkpoint header');
  if (lines.length < 2) throw new CodecError(1, `${MISMATCH}: the encrypted checkpoint has no content: ${CHANGED}`);
  const first = open(key, Buffer.from(context('e', key.kid, null, jobName), 'utf8'), lines[1], 2);
  if (first.plain !== '' && !first.plain.endsWith('\n')) throw new CodecError(2, 'malformed encrypted block');
  const head = Buffer.alloc(1 + TAG_BYTES);
  head[0] = RECORD;
  first.tag.copy(head, 1);
  let out = first.plain;
  for (let i = 2; i < lines.length; i++) {
    const r = open(key, head, lines[i], i + 1);
    if (r.plain.includes('\n')) throw new CodecError(i + 1, 'malformed encrypted record');
    r.tag.copy(head, 1);
    out += r.plain + '\n';
  }
  return out;
}
