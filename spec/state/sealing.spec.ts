import * as fs from 'node:fs';
import {
  safeState, FileBackend, MemoryBackend, checkpoint, resumeState, CheckpointCorruptError, InvalidOptionsError, SECRET_ENV,
} from '../../lib/index';
import { encodeHeader, encodeRecords, decodeJournal } from '../../lib/backends/file/journal';
import { range, tempDir } from '../helpers';

const A = 'first-secret-0123456789';
const B = 'second-secret-9876543210';

/**
 * An auto-mode job over 10 items that saves `{ secret: 'TOP-SECRET-<n>' }` state at every item
 * and fails at item `failAt` (or never with -1). Just before failing it copies the stored text to
 * `atCrash`: what a process killed at that instant leaves (a full save plus appended records; the
 * failure itself rewrites everything in one full save).
 */
function job(name: string, backend: MemoryBackend | FileBackend, opts: { secret?: string | string[]; encrypt?: boolean } = {}) {
  const control = { failAt: 5, resumed: undefined as unknown, seen: [] as number[], atCrash: '' };
  const fn = safeState(
    async (xs: number[]) => {
      control.resumed = resumeState();
      for (const x of xs) {
        if (x === control.failAt) {
          control.atCrash = (await backend.load(name))!;
          throw new Error('crash');
        }
        control.seen.push(x);
        await checkpoint({ last: x, secret: `TOP-SECRET-${x}` });
      }
    },
    { name, backend, ...opts },
  );
  return { fn, control };
}

async function expectCorrupt(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const err: any = await p.catch((e) => e);
  expect(err).toBeInstanceOf(CheckpointCorruptError);
  expect(err.code).toBe('CHECKPOINT_CORRUPT');
  expect(err.message).toMatch(pattern);
}

/** Puts back the text a crash left (`control.atCrash`), edited line by line. */
function crashWith(backend: MemoryBackend | FileBackend, name: string, text: string, edit: (lines: string[]) => string[] = (l) => l): void {
  const lines = text.split('\n');
  lines.pop();
  const out = edit(lines).join('\n') + '\n';
  if (backend instanceof FileBackend) fs.writeFileSync(backend.location(name), encodeHeader(name) + encodeRecords(out));
  else backend.saveSync(name, out);
}

describe('signed checkpoints (secret)', () => {
  it('are written sealed, resume with the same secret, and each progress record carries a signature', async () => {
    const backend = new MemoryBackend();
    const { fn, control } = job('signed', backend, { secret: A });
    await expect(fn(range(10))).rejects.toThrow('crash');
    const lines = control.atCrash.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^%safestate-sealed 1 s [0-9a-f]{8} \d+ [\w-]{22}$/);
    const progress = lines.filter((l) => / \+\d/.test(l));
    expect(progress.length).toBeGreaterThan(0);
    for (const l of progress) expect(l).toMatch(/^[\w-]{22} \+\d+ \d+$/);
    control.failAt = -1;
    control.seen = [];
    await fn(range(10));
    expect(control.resumed).toEqual({ last: 4, secret: 'TOP-SECRET-4' });
    expect(control.seen).toEqual([5, 6, 7, 8, 9]);
  });

  it('a tampered progress record is refused: the signature does not match', async () => {
    const backend = new MemoryBackend();
    const { fn, control } = job('tamper-progress', backend, { secret: A });
    await expect(fn(range(10))).rejects.toThrow('crash');
    crashWith(backend, 'tamper-progress', control.atCrash); // untampered: resumes
    expect((await fn.peekCheckpoint())!.completedIndices.size).toBe(5);
    // mark items 5-7 as done, keeping the original signature
    crashWith(backend, 'tamper-progress', control.atCrash, (lines) => {
      const i = lines.findIndex((l) => / \+4 \d+$/.test(l));
      expect(i).toBeGreaterThan(0);
      lines[i] = lines[i].replace(' +4 ', ' +4-7 ');
      return lines;
    });
    await expectCorrupt(fn(range(10)), /signature does not match \(record \d+\)/);
    await expectCorrupt(fn.peekCheckpoint(), /signature does not match/);
  });

  it('a tampered snapshot, a dropped, reordered or inserted record are refused', async () => {
    const edits: [string, (lines: string[]) => string[]][] = [
      ['snapshot', (l) => [l[0], l[1].replace('"runs":1', '"runs":9'), ...l.slice(2)]],
      ['drop', (l) => l.filter((x, i) => i !== 4)],
      ['reorder', (l) => [...l.slice(0, 3), l[4], l[3], ...l.slice(5)]],
      ['insert', (l) => [...l.slice(0, 4), l[4], ...l.slice(4)]],
      ['header', (l) => [l[0].split(' ').map((w, i) => (i === 4 ? String(Number(w) + 1) : w)).join(' '), ...l.slice(1)]],
      ['unsigned line', (l) => [...l, '+9 1700000000000']],
    ];
    for (const [what, edit] of edits) {
      const backend = new MemoryBackend();
      const { fn, control } = job(`tamper-${what}`, backend, { secret: A });
      await expect(fn(range(10))).rejects.toThrow('crash');
      crashWith(backend, `tamper-${what}`, control.atCrash, edit);
      await expectCorrupt(fn(range(10)), /signature does not match/);
    }
  });

  it('a checkpoint sealed by a newer safe-state asks for an upgrade', async () => {
    const backend = new MemoryBackend();
    const { fn, control } = job('newer', backend, { secret: A });
    await expect(fn(range(10))).rejects.toThrow('crash');
    crashWith(backend, 'newer', control.atCrash, (l) => [l[0].replace('%safestate-sealed 1 ', '%safestate-sealed 2 '), ...l.slice(1)]);
    await expectCorrupt(fn(range(10)), /sealing format 2; this version reads up to 1\): upgrade safe-state/);
  });

  it('records cut off at the end (the trace of a crash) are not an error: those items run again', async () => {
    const backend = new MemoryBackend();
    const { fn, control } = job('truncated', backend, { secret: A });
    await expect(fn(range(10))).rejects.toThrow('crash');
    crashWith(backend, 'truncated', control.atCrash, (lines) => lines.slice(0, -3));
    expect((await fn.peekCheckpoint())!.completedIndices.size).toBeLessThan(5);
    control.failAt = -1;
    control.seen = [];
    await fn(range(10));
    expect(control.seen[0]).toBeLessThan(5);
  });

  it('through a FileBackend: a record re-framed with a valid checksum is still caught by the signature', async () => {
    const dir = tempDir();
    const backend = new FileBackend({ dir });
    const { fn, control } = job('file-signed', backend, { secret: A });
    await expect(fn(range(10))).rejects.toThrow('crash');
    const forged = control.atCrash.replace(/ \+2 (\d+)\n/, ' +2-8 $1\n');
    expect(forged).not.toBe(control.atCrash);
    crashWith(backend, 'file-signed', forged);
    expect(decodeJournal(fs.readFileSync(backend.location('file-signed'), 'utf8')).text).toBe(forged); // the framing is fine
    await expectCorrupt(fn(range(10)), /at .*\.safestate \(record \d+\).*signature does not match/);
  });

  it('unsigned data is refused when a secret is set, and signed data when none is', async () => {
    const backend = new MemoryBackend();
    const plain = job('mixed', backend);
    await expect(plain.fn(range(10))).rejects.toThrow('crash');
    const signed = job('mixed', backend, { secret: A });
    await expectCorrupt(signed.fn(range(10)), /not signed, but a secret is configured.*refusing to load unsigned data/);

    const backend2 = new MemoryBackend();
    await expect(job('mixed2', backend2, { secret: A }).fn(range(10))).rejects.toThrow('crash');
    await expectCorrupt(job('mixed2', backend2).fn(range(10)), /is signed \(key id [0-9a-f]{8}\): configure the secret/);
  });

  it('a checkpoint copied to another job is refused', async () => {
    const backend = new MemoryBackend();
    await expect(job('job-a', backend, { secret: A }).fn(range(10))).rejects.toThrow('crash');
    backend.saveSync('job-b', (await backend.load('job-a'))!);
    await expectCorrupt(job('job-b', backend, { secret: A }).fn(range(10)), /signature does not match/);
  });

  it('key rotation: the first secret signs, all verify; a checkpoint sealed with a retired key is refused', async () => {
    const backend = new MemoryBackend();
    const first = job('rotate', backend, { secret: A });
    await expect(first.fn(range(10))).rejects.toThrow('crash');
    const kidA = (await backend.load('rotate'))!.split(' ')[3];
    const rotated = job('rotate', backend, { secret: [B, A] });
    rotated.control.failAt = 7;
    await expect(rotated.fn(range(10))).rejects.toThrow('crash');
    expect(rotated.control.seen).toEqual([5, 6]);
    const kidB = (await backend.load('rotate'))!.split(' ')[3];
    expect(kidB).not.toBe(kidA); // rewritten with the new key
    await expectCorrupt(job('rotate', backend, { secret: A }).fn(range(10)), new RegExp(`signature does not match: .*key id ${kidB}.*configured: ${kidA}`));
    const onlyB = job('rotate', backend, { secret: B });
    onlyB.control.failAt = -1;
    await onlyB.fn(range(10));
    expect(onlyB.control.seen).toEqual([7, 8, 9]);
  });

  it(`reads ${SECRET_ENV} (several secrets separated by commas) when the option is not given`, async () => {
    const before = process.env[SECRET_ENV];
    try {
      const backend = new MemoryBackend();
      process.env[SECRET_ENV] = A;
      const { fn } = job('env-secret', backend);
      await expect(fn(range(10))).rejects.toThrow('crash');
      expect((await backend.load('env-secret'))!.startsWith('%safestate-sealed 1 s ')).toBe(true);
      process.env[SECRET_ENV] = `${B}, ${A}`;
      expect(await fn.peekCheckpoint()).not.toBeNull();
      delete process.env[SECRET_ENV];
      await expectCorrupt(fn.peekCheckpoint(), /is signed/);
      process.env[SECRET_ENV] = 'short';
      await expect(fn(range(10))).rejects.toThrow(InvalidOptionsError);
    } finally {
      if (before === undefined) delete process.env[SECRET_ENV];
      else process.env[SECRET_ENV] = before;
    }
  });

  it('validates the options', () => {
    expect(() => safeState(async () => undefined, { name: 'v', secret: 'too-short' })).toThrow(/secret: must be a string .* at least 16 characters/);
    expect(() => safeState(async () => undefined, { name: 'v', secret: [] })).toThrow(InvalidOptionsError);
    expect(() => safeState(async () => undefined, { name: 'v', encrypt: 'yes' as never })).toThrow(InvalidOptionsError);
  });
});

describe('encrypted checkpoints (secret + encrypt)', () => {
  it('nothing of the state is readable in storage; it resumes with the key', async () => {
    const dir = tempDir();
    const backend = new FileBackend({ dir });
    const { fn, control } = job('encrypted', backend, { secret: A, encrypt: true });
    await expect(fn(range(10))).rejects.toThrow('crash');
    const raw = fs.readFileSync(backend.location('encrypted'), 'utf8');
    expect(raw).toMatch(/%safestate-sealed 1 e [0-9a-f]{8}\n/);
    expect(raw).not.toContain('TOP-SECRET');
    expect(raw).not.toContain('"runs"');
    expect(raw).not.toMatch(/ \+\d/);
    control.failAt = -1;
    control.seen = [];
    await fn(range(10));
    expect(control.resumed).toEqual({ last: 4, secret: 'TOP-SECRET-4' });
    expect(control.seen).toEqual([5, 6, 7, 8, 9]);
  });

  it('a flipped byte, a dropped or swapped record is refused', async () => {
    const edits: [string, (lines: string[]) => string[]][] = [
      ['flip', (l) => [l[0], l[1], l[2].slice(0, 10) + (l[2][10] === 'A' ? 'B' : 'A') + l[2].slice(11), ...l.slice(3)]],
      ['drop', (l) => l.filter((_, i) => i !== 3)],
      ['swap', (l) => [l[0], l[1], l[3], l[2], ...l.slice(4)]],
    ];
    for (const [what, edit] of edits) {
      const backend = new MemoryBackend();
      const { fn, control } = job(`enc-${what}`, backend, { secret: A, encrypt: true });
      await expect(fn(range(10))).rejects.toThrow('crash');
      expect(control.atCrash.split('\n').length).toBeGreaterThan(5);
      crashWith(backend, `enc-${what}`, control.atCrash, edit);
      await expectCorrupt(fn(range(10)), /signature does not match .*does not decrypt/);
    }
  });

  it('can be switched on and off between runs (an encrypted checkpoint reads with encrypt off, and back)', async () => {
    const backend = new MemoryBackend();
    await expect(job('switch', backend, { secret: A }).fn(range(10))).rejects.toThrow('crash');
    const enc = job('switch', backend, { secret: A, encrypt: true });
    enc.control.failAt = 7;
    await expect(enc.fn(range(10))).rejects.toThrow('crash');
    expect((await backend.load('switch'))!.startsWith('%safestate-sealed 1 e ')).toBe(true);
    const plain = job('switch', backend, { secret: A });
    plain.control.failAt = -1;
    await plain.fn(range(10));
    expect(plain.control.seen).toEqual([7, 8, 9]);
  });

  it('encrypt without any secret is refused', async () => {
    const before = process.env[SECRET_ENV];
    delete process.env[SECRET_ENV];
    try {
      const { fn } = job('enc-nosecret', new MemoryBackend(), { encrypt: true });
      await expect(fn(range(3))).rejects.toThrow(/encrypt: encryption needs a secret/);
    } finally {
      if (before !== undefined) process.env[SECRET_ENV] = before;
    }
  });
});
