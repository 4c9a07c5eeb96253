import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32, crc32Js } from '../../lib/backends/file/crc32';

/** The journal's checksum (lib/backends/file/crc32.ts) is zlib's CRC-32 of the UTF-8 bytes, in JS and natively alike. */
describe('journal CRC-32', () => {
  const samples = [
    '',
    'a',
    '{"v":1,"done":[0,12345]}',
    'é ü ß — “quotes” 中文 日本語 한국어',
    '😀 emoji 🧪 and astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
    'lone \ud800 high and \udc00 low surrogates, and a pair at the end \ud83d\ude00',
    'x'.repeat(4096),
    'y'.repeat(4097),
    'mixed é😀'.repeat(2000),
  ];

  it('matches zlib on ASCII, 2-, 3- and 4-byte characters and lone surrogates', () => {
    for (const s of samples) expect({ s: s.slice(0, 40), crc: crc32Js(s) }).toEqual({ s: s.slice(0, 40), crc: zlibCrc32(s) >>> 0 });
  });

  it('gives the same value whichever way it sums (short in JS, long natively)', () => {
    for (const s of samples) expect(crc32(s)).toBe(zlibCrc32(s) >>> 0);
    let random = '';
    for (let i = 0; i < 20_000; i++) random += String.fromCharCode(Math.floor(Math.random() * 0x10000));
    for (const n of [1, 100, 4096, 4097, 20_000]) expect(crc32Js(random.slice(0, n))).toBe(zlibCrc32(random.slice(0, n)) >>> 0);
  });
});
