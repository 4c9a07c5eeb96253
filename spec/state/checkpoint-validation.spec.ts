import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { safeState, MemoryBackend, FileBackend, StateBackend, CheckpointCorruptError, InvalidOptionsError, SERIALIZATION_LIMITS } from '../../lib/index';
import { tempDir } from '../helpers';

/**
 * What a checkpoint may say, checked on load with typed errors naming what is wrong: progress
 * ranges, done counts, journal damage, and the size limits, which are checked before anything is
 * parsed.
 */

const snapshotOf = (job: string, fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    safestate: 1, job, total: null, fp: [], runs: 1, complete: false, created: 1, updated: 1, w: 0, s: '', failure: null, state: null, frozen: null,
    ...fields,
  });

function memoryJob(name: string, text: string) {
  const backend = new MemoryBackend();
  backend.saveSync(name, text);
  const ran: number[] = [];
  const job = safeState(async (xs: number[]) => {
    for (const x of xs) ran.push(x);
  }, { name, backend });
  return { job, ran, backend };
}

async function corrupt(name: string, text: string, message: RegExp): Promise<void> {
  const { job, ran } = memoryJob(name, text);
  for (const err of [await job.peekCheckpoint().catch((e) => e), await job([0, 1, 2]).catch((e) => e)]) {
    expect(err).toBeInstanceOf(CheckpointCorruptError);
    expect((err as Error).message).toMatch(message);
  }
  expect(ran).toEqual([]);
}

describe('progress ranges and counts are validated on load', () => {
  it.each([
    ['unsorted', { s: '9,3' }, /\(record 1\).*done items: the index range '3' overlaps or precedes the range before it/],
    ['overlapping', { s: '1-5,4-8' }, /the index range '4-8' overlaps or precedes/],
    ['negative', { s: '-1' }, /malformed index range '-1'/],
    ['non-integer', { s: '1.5' }, /malformed index range '1.5'/],
    ['beyond MAX_SAFE_INTEGER', { s: '9007199254740992' }, /goes beyond Number.MAX_SAFE_INTEGER/],
    ['below the watermark', { w: 10, s: '5' }, /the done range starting at 5 lies below the watermark 10/],
    ['a watermark that is no safe integer', { w: 2 ** 53 }, /missing or mistyped fields/],
  ])('a snapshot with %s done ranges is refused', async (what, fields, message) => {
    await corrupt(`bad-snap-${what.replace(/\W+/g, '-')}`, snapshotOf('x', fields).replace('"job":"x"', `"job":"bad-snap-${what.replace(/\W+/g, '-')}"`) + '\n', message);
  });

  it.each([
    ['beyond MAX_SAFE_INTEGER', '+9007199254740993 5', /\(record 2\).*goes beyond Number.MAX_SAFE_INTEGER/],
    ['backwards', '+9-3 5', /\(record 2\).*runs backwards/],
    ['garbage', '+1;2 5', /\(record 2\).*malformed index range/],
  ])('a progress record %s is refused', async (what, record, message) => {
    const name = `bad-rec-${what.replace(/\W+/g, '-')}`;
    await corrupt(name, snapshotOf(name) + '\n' + record + '\n', message);
  });

  it('progress records may list ranges in completion order and name done items again (a union)', async () => {
    const name = 'rec-order';
    const { job, ran } = memoryJob(name, snapshotOf(name, { total: 8 }) + '\n+5,2-3 5\n+3,0 6\n');
    expect([...(await job.peekCheckpoint())!.completedIndices]).toEqual([0, 2, 3, 5]);
    await job([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(ran).toEqual([1, 4, 6, 7]);
  });

  it('more items done than the input has is damage: the job does not "complete" without running anything', async () => {
    const name = 'more-than-total';
    await corrupt(name, snapshotOf(name, { total: 3, w: 20 }) + '\n', /\(record 1\).*20 items are marked done, but the input has only 3/);
    const other = 'more-than-total-records';
    await corrupt(other, snapshotOf(other, { total: 3 }) + '\n+0-2 5\n+7 6\n', /4 items are marked done, but the input has only 3/);
  });

  it('a keyed job may have more done keys than its current input (the input changed), but its key ranges are validated', async () => {
    const name = 'keys-ranges';
    const snap = (kn: string) => snapshotOf(name, { safestate: 2, total: 2, kn, keys: ['a'] }) + '\n';
    const backend = new MemoryBackend();
    backend.saveSync(name, snap('0-9'));
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) void x;
    }, { name, backend, key: (x: number) => x });
    expect((await job.peekCheckpoint())!.completedKeys!.size).toBe(11);
    backend.saveSync(name, snap('5-9,0-6'));
    await expect(job.peekCheckpoint()).rejects.toThrow(/done keys: the index range '0-6' overlaps or precedes/);
  });
});

/** A FileBackend file holding `records` (payloads), each framed with its CRC. */
function journal(job: string, records: string[]): { dir: string; file: string; text: string } {
  const dir = tempDir('safe-state-journal-');
  const frame = (p: string) => `${(zlib.crc32(p) >>> 0).toString(16).padStart(8, '0')} ${p}\n`;
  const text = `safestate-journal 1 ${JSON.stringify(job)}\n` + records.map(frame).join('');
  const file = new FileBackend({ dir }).location(job);
  fs.writeFileSync(file, text, { mode: 0o600 });
  return { dir, file, text };
}

describe('journal damage: a torn last line after a kill is dropped, damage anywhere else is reported', () => {
  const records = (job: string) => [snapshotOf(job, { total: 10 }), '+0 1', '+1 2', '+2 3'];

  async function done(dir: string, job: string): Promise<number[]> {
    const cp = await safeState(async () => undefined, { name: job, stateDir: dir, autoIterate: false }).peekCheckpoint();
    return [...cp!.completedIndices];
  }

  it('a last record cut short (no newline, as a kill during the append leaves it) is dropped', async () => {
    const { dir, file, text } = journal('torn', records('torn'));
    fs.writeFileSync(file, text.slice(0, -6));
    expect(await done(dir, 'torn')).toEqual([0, 1]);
  });

  it('a last append whose blocks a power loss left as NULs is dropped', async () => {
    const { dir, file, text } = journal('nuls', records('nuls'));
    fs.writeFileSync(file, text + '\0'.repeat(40));
    expect(await done(dir, 'nuls')).toEqual([0, 1, 2]);
    fs.writeFileSync(file, text.slice(0, -8) + '\0'.repeat(7) + '\n');
    expect(await done(dir, 'nuls')).toEqual([0, 1]);
  });

  it('one flipped newline before the last record is damage, not two silently dropped saves', async () => {
    const { dir, file, text } = journal('flip-nl', records('flip-nl'));
    const cut = text.lastIndexOf('\n', text.length - 2);
    fs.writeFileSync(file, text.slice(0, cut) + 'x' + text.slice(cut + 1));
    const err = await done(dir, 'flip-nl').catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointCorruptError);
    expect(err.message).toMatch(/:4 is unreadable: checksum mismatch/);
  });

  it('a complete last record with a bad checksum is damage', async () => {
    const { dir, file, text } = journal('bad-last', records('bad-last'));
    fs.writeFileSync(file, text.slice(0, -3) + '9' + text.slice(-2));
    await expect(done(dir, 'bad-last')).rejects.toThrow(/:5 is unreadable: checksum mismatch/);
  });

  it('a flip at offset 40 (inside the snapshot) is reported as a damaged snapshot, not as an empty checkpoint', async () => {
    const { dir, file, text } = journal('flip-40', [snapshotOf('flip-40')]);
    fs.writeFileSync(file, text.slice(0, 40) + (text[40] === 'x' ? 'y' : 'x') + text.slice(41));
    await expect(done(dir, 'flip-40')).rejects.toThrow(/:2 is unreadable: checksum mismatch/);
    fs.writeFileSync(file, text.slice(0, 60));
    await expect(done(dir, 'flip-40')).rejects.toThrow(/:2 is unreadable: the snapshot record is cut short/);
  });

  it('damage in the middle is reported with its line', async () => {
    const { dir, file, text } = journal('middle', records('middle'));
    const lines = text.split('\n');
    lines[3] = lines[3].replace('+1', '+7');
    fs.writeFileSync(file, lines.join('\n'));
    await expect(done(dir, 'middle')).rejects.toThrow(/:4 is unreadable: checksum mismatch/);
  });
});

/** A backend like Redis or SQL: it hands the engine whatever text it stored. */
class TextBackend extends StateBackend {
  constructor(private readonly text: string) {
    super();
  }
  async load(): Promise<string | null> {
    return this.text;
  }
  async save(): Promise<void> {}
  async delete(): Promise<void> {}
  async exists(): Promise<boolean> {
    return true;
  }
}

describe('size limits are checked before parsing, and say how to raise them', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['SAFE_STATE_MAX_CHECKPOINT_CHARS', 'SAFE_STATE_MAX_VALUE_CHARS']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  // beyond the limit, the text is not even valid JSON: the error must be the size, found first
  const oversized = (name: string) => snapshotOf(name).slice(0, -1) + ',"pad":"' + 'x'.repeat(5000) + '\n';

  it.each([
    ['memory', (name: string) => { const b = new MemoryBackend(); b.saveSync(name, oversized(name)); return b; }],
    ['a text backend (as Redis and SQL load)', (name: string) => new TextBackend(oversized(name))],
    ['file', (name: string) => new FileBackend({ dir: journal(name, [oversized(name).slice(0, -1)]).dir })],
  ] as const)('a checkpoint longer than maxCheckpointChars is refused before parsing (%s backend)', async (_kind, make) => {
    process.env.SAFE_STATE_MAX_CHECKPOINT_CHARS = '2000';
    expect(SERIALIZATION_LIMITS.maxCheckpointChars).toBe(2000);
    const name = `too-long-${_kind.split(' ')[0]}`;
    const backend = make(name);
    const job = safeState(async () => undefined, { name, backend, autoIterate: false });
    const err = await job.peekCheckpoint().catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointCorruptError);
    expect(err.message).toMatch(/the checkpoint is \d+ (characters|bytes) long, more than the limit of 2000 \(SERIALIZATION_LIMITS.maxCheckpointChars; to load it anyway, set the environment variable SAFE_STATE_MAX_CHECKPOINT_CHARS/);
    process.env.SAFE_STATE_MAX_CHECKPOINT_CHARS = '100000';
    const again = await job.peekCheckpoint().catch((e) => e);
    expect(again).toBeInstanceOf(CheckpointCorruptError);
    expect(again.message).not.toMatch(/characters long/); // now it is parsed, and found malformed
  });

  it('a saved state longer than maxValueChars is refused at load, before it is parsed, naming the variable that raises it', async () => {
    process.env.SAFE_STATE_MAX_VALUE_CHARS = '1000';
    const name = 'state-too-long';
    const notDevalue = '{' + 'y'.repeat(3000); // not even JSON: only the length is looked at
    const { job } = memoryJob(name, snapshotOf(name) + '\ns' + notDevalue + '\n');
    const err = await job.peekCheckpoint().catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointCorruptError);
    expect(err.message).toMatch(/\(record 2\).*state: the value is 3001 characters long, more than the limit of 1000 \(SERIALIZATION_LIMITS.maxValueChars; to load it anyway, set the environment variable SAFE_STATE_MAX_VALUE_CHARS/);
    const inSnapshot = memoryJob('state-too-long-2', snapshotOf('state-too-long-2', { state: notDevalue }) + '\n');
    await expect(inSnapshot.job.peekCheckpoint()).rejects.toThrow(/\(record 1\).*state: the value is 3001 characters long/);
  });

  it('a limit variable that is not a positive integer is an InvalidOptionsError naming it', async () => {
    process.env.SAFE_STATE_MAX_CHECKPOINT_CHARS = 'lots';
    const { job } = memoryJob('bad-env', snapshotOf('bad-env') + '\n');
    const err = await job.peekCheckpoint().catch((e) => e);
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect(err.message).toMatch(/SAFE_STATE_MAX_CHECKPOINT_CHARS must be a positive integer/);
  });
});
