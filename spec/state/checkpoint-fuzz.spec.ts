import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { safeState, MemoryBackend, FileBackend, SafeStateError } from '../../lib/index';
import { prng, tempDir } from '../helpers';

/**
 * Thousands of random mutations (seeded, so a failure replays) of valid checkpoints: loading
 * either succeeds or fails with a SafeStateError, never with another error type, and never hangs
 * (every load is awaited in turn; a hang would time the test out). Mutations reach the codec with
 * valid checksums (payloads re-framed) and the journal as raw bytes.
 */

const STATE = JSON.stringify([{ a: 1, m: 2, big: 4, d: 5 }, 7, ['Map', 3, 1], 'k', ['BigInt', '12345678901234567890'], ['Date', '2025-01-01T00:00:00.000Z'], 0, 9, 'x']);
const FAILURE = { index: 41, name: 'Error', message: 'boom', stack: 'Error: boom\n    at x', at: '2025-01-01T00:00:00.000Z' };

/** Valid checkpoint texts: positional and keyed, with every record type. */
function seeds(job: string): string[] {
  const positional =
    JSON.stringify({
      safestate: 1, job, total: 100, fp: ['0123456789ab', null, 'abcdefabcdef'], runs: 3, complete: false, created: 1700000000000, updated: 1700000000001,
      w: 40, s: '42-45,50,60-61', failure: FAILURE, state: STATE, frozen: '[{"count":1},3]',
    }) +
    '\n+40 1700000000002\n+46-48,41 1700000000003\ns[{"n":1},2]\nr["41","[5]"]\nr["47","[{\\"v\\":1},\\"t\\"]"]\nf3 0123456789ab\n+49 1700000000004\n';
  const keyed =
    JSON.stringify({
      safestate: 2, job, total: 10, fp: [], runs: 1, complete: false, created: 1, updated: 2, w: 0, s: '', kn: '1-5,9', keys: ['a', -1, 2.5],
      failure: null, state: null, frozen: null,
    }) + '\nk["b",7,8] 3\nk[6] 4\nr["\\"b\\"","[1]"]\n';
  return [positional, keyed];
}

const ALPHABET = '0123456789-,+ "\\{}[]:\nexkfrs.';
const NUMBERS = ['9007199254740993', '9007199254740991', '1e308', '-5', '99999999999', '0', '4000000000', '1.5', 'NaN', '""', 'null', '[]', '{}'];

function mutate(text: string, rnd: () => number): string {
  const int = (n: number) => Math.floor(rnd() * n);
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    const at = int(text.length + 1);
    switch (int(7)) {
      case 0: // change one character
        text = text.slice(0, at) + ALPHABET[int(ALPHABET.length)] + text.slice(at + 1);
        break;
      case 1: // insert digits
        text = text.slice(0, at) + String(int(1e9)).repeat(1 + int(3)) + text.slice(at);
        break;
      case 2: // delete a span
        text = text.slice(0, at) + text.slice(at + 1 + int(20));
        break;
      case 3: { // replace a number with an extreme one
        const nums = [...text.matchAll(/\d+/g)];
        if (nums.length === 0) break;
        const m = nums[int(nums.length)];
        text = text.slice(0, m.index) + NUMBERS[int(NUMBERS.length)] + text.slice(m.index! + m[0].length);
        break;
      }
      case 4: { // duplicate or swap lines
        const lines = text.split('\n');
        const i = int(lines.length);
        const j = int(lines.length);
        if (rnd() < 0.5) lines.splice(j, 0, lines[i]);
        else [lines[i], lines[j]] = [lines[j], lines[i]];
        text = lines.join('\n');
        break;
      }
      case 5: // truncate
        text = text.slice(0, at);
        break;
      default: // an extra progress record naming a huge range
        text += `+${int(100)}-${NUMBERS[int(3)]} 5\n`;
    }
  }
  return text;
}

/** Loads through the engine (peek: codec and inert values) and, now and then, resumes a run. */
async function load(backend: MemoryBackend | FileBackend, name: string, run: boolean): Promise<unknown> {
  const keyed = safeState(async (xs: unknown[]) => {
    for (const x of xs) void x;
  }, { name, backend, key: (x: unknown) => x as number });
  const positional = safeState(async (xs: unknown[]) => {
    for (const x of xs) void x;
  }, { name, backend });
  try {
    await positional.peekCheckpoint();
    if (run) await (rndPick(name) ? keyed : positional)(Array.from({ length: 100 }, (_, i) => i));
    return null;
  } catch (e) {
    return e;
  }
}
const rndPick = (name: string) => name.length % 2 === 0;

function expectSafeError(e: unknown, text: string): void {
  if (e === null || SafeStateError.is(e)) return;
  throw new Error(`loading threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}\nfor text ${JSON.stringify(text.slice(0, 400))}`);
}

describe('fuzzed checkpoints load or fail with a SafeStateError', () => {
  jest.setTimeout(300_000);

  it('3000 mutations of the records (valid checksums) through the shared load path', async () => {
    const rnd = prng(20261206);
    let ok = 0;
    let refused = 0;
    for (let n = 0; n < 3000; n++) {
      const name = `fz${n}`;
      const base = seeds(name)[n % 2];
      const text = mutate(base, rnd);
      const backend = new MemoryBackend();
      backend.saveSync(name, text);
      const e = await load(backend, name, n % 10 === 0);
      expectSafeError(e, text);
      if (e === null) ok++;
      else refused++;
    }
    // both outcomes occur: the fuzzer reaches past the first check
    expect(ok).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });

  it('500 mutations of FileBackend files: payloads re-framed with valid checksums, or raw bytes changed', async () => {
    const rnd = prng(7);
    const dir = tempDir('safe-state-fuzz-');
    const backend = new FileBackend({ dir });
    for (let n = 0; n < 500; n++) {
      const name = `ff${n}`;
      const base = seeds(name)[n % 2];
      const frame = (p: string) => `${(zlib.crc32(p) >>> 0).toString(16).padStart(8, '0')} ${p}\n`;
      let file = `safestate-journal 1 ${JSON.stringify(name)}\n`;
      if (n % 2 === 0) file += mutate(base, rnd).split('\n').filter((l, i, a) => i < a.length - 1 || l !== '').map(frame).join('');
      else file = mutate(file + base.split('\n').filter((l) => l !== '').map(frame).join(''), rnd);
      fs.writeFileSync(backend.location(name), file);
      expectSafeError(await load(backend, name, n % 10 === 1), file);
    }
  });
});
