import type * as Zlib from 'node:zlib';

/**
 * CRC-32 (the zlib / ISO-HDLC one) of a string's UTF-8 bytes, as an unsigned 32-bit number: the
 * checksum of journal records. Short records (every progress record) are summed here in JS; long
 * ones (snapshots of keyed jobs, megabytes) by node:zlib's native `crc32`, loaded at the first long
 * record. node:zlib costs a couple of milliseconds to load, which every resumed job would otherwise
 * pay before its first item. Both give the same value.
 * @internal
 */
export function crc32(text: string): number {
  return text.length <= SHORT ? crc32Js(text) : zlib().crc32(text) >>> 0;
}

/** Records up to this many UTF-16 units are summed in JS. */
const SHORT = 4096;

let zlibModule: typeof Zlib | undefined;
function zlib(): typeof Zlib {
  return (zlibModule ??= require('node:zlib') as typeof Zlib);
}

let table: Int32Array | undefined;
function crcTable(): Int32Array {
  if (table) return table;
  table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
}

/** CRC-32 in JS over the UTF-8 encoding of `text` (encoded on the fly). @internal */
export function crc32Js(text: string): number {
  const t = crcTable();
  let c = -1;
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp < 0x80) {
      c = t[(c ^ cp) & 0xff] ^ (c >>> 8);
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // a lone surrogate encodes as U+FFFD, as Buffer.from does
    if (cp < 0x800) {
      c = t[(c ^ (0xc0 | (cp >> 6))) & 0xff] ^ (c >>> 8);
    } else {
      if (cp < 0x10000) {
        c = t[(c ^ (0xe0 | (cp >> 12))) & 0xff] ^ (c >>> 8);
      } else {
        c = t[(c ^ (0xf0 | (cp >> 18))) & 0xff] ^ (c >>> 8);
        c = t[(c ^ (0x80 | ((cp >> 12) & 0x3f))) & 0xff] ^ (c >>> 8);
      }
      c = t[(c ^ (0x80 | ((cp >> 6) & 0x3f))) & 0xff] ^ (c >>> 8);
    }
    c = t[(c ^ (0x80 | (cp & 0x3f))) & 0xff] ^ (c >>> 8);
  }
  return (c ^ -1) >>> 0;
}
