import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  safeState, MemoryBackend, checkpoint, resumeState, CheckpointCorruptError, ReconnectError, UnserializableStateError,
  SERIALIZATION_LIMITS,
} from '../../lib/index';
import { tempDir } from '../helpers';

/**
 * Loading a checkpoint must never run code from it nor build anything but plain data and objects
 * of registered reconnectors, and hostile sizes must fail fast. Each case plants a crafted
 * `checkpoint()` state (devalue text) in an otherwise valid checkpoint, then resumes and peeks.
 */

const pwned = () => (globalThis as Record<string, unknown>).__safeStatePwned;

function clean(): void {
  for (const o of [Object.prototype, Array.prototype, Function.prototype]) {
    for (const k of ['polluted', 'isAdmin']) delete (o as Record<string, unknown>)[k];
  }
}
afterEach(clean);

function expectNoPollution(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  expect(pwned()).toBeUndefined();
}

/** A job whose checkpoint holds `stateText` as its saved state; `resumed` gets what the body saw. */
async function planted(name: string, stateText: string, extraRecords = '') {
  const backend = new MemoryBackend();
  const control = { ran: false, resumed: undefined as unknown };
  const job = safeState(
    async () => {
      control.ran = true;
      control.resumed = resumeState();
    },
    { name, backend, autoIterate: false },
  );
  const snapshot = {
    safestate: 1, job: name, total: null, fp: [], runs: 1, complete: false, created: 1, updated: 1, w: 0, s: '',
    failure: null, state: stateText, frozen: null,
  };
  backend.saveSync(name, JSON.stringify(snapshot) + '\n' + extraRecords);
  return { job, control, backend };
}

async function refusedEverywhere(name: string, stateText: string, pattern: RegExp): Promise<void> {
  const { job, control } = await planted(name, stateText);
  const onRun = await job().catch((e) => e);
  const onPeek = await job.peekCheckpoint().catch((e) => e);
  for (const err of [onRun, onPeek]) {
    expect(err).toBeInstanceOf(CheckpointCorruptError);
    expect(err.message).toMatch(pattern);
    expect(err.message).toContain(`job '${name}'`);
    expect(err.message).toContain('state:');
  }
  expect(control.ran).toBe(false);
  expectNoPollution();
}

describe('crafted checkpoints execute nothing and build no unregistered type', () => {
  it.each([
    ['Function', '[["Function","globalThis.__safeStatePwned = 1"]]'],
    ['eval-like', '[["eval","globalThis.__safeStatePwned = 1"]]'],
    ['a Node class', '[["Buffer",1],"payload"]'],
    ['Error', '[["Error","boom"]]'],
    ['Promise', '[["Promise",1],1]'],
    ['prototype-ish', '[["__proto__",1],{}]'],
    ['constructor-ish', '[["constructor",1],{}]'],
    ['a nested unknown', '[{"a":1},["Set",2],["Symbol","x"]]'],
  ])('a devalue type tag naming %s is refused as an unknown type', async (_what, text) => {
    await refusedEverywhere(`unknown-${_what}`, text, /unknown type/);
  });

  it('a live object naming a reconnector that is not registered is never built: resume fails, peek shows it inert', async () => {
    const marker = path.join(tempDir(), 'pwned');
    const text = JSON.stringify([['$live', 1], [2, 3], 'child_process.exec', { cmd: 4 }, `touch ${marker}`]);
    const { job, control } = await planted('live-unknown', text);
    const err = await job().catch((e) => e);
    expect(err).toBeInstanceOf(ReconnectError);
    expect(err.message).toMatch(/no reconnector named 'child_process\.exec' is registered/);
    expect(control.ran).toBe(false);
    expect((await job.peekCheckpoint())!.state).toEqual({ reconnector: 'child_process.exec', meta: { cmd: `touch ${marker}` } });
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('a malformed live-object record is refused', async () => {
    await refusedEverywhere('live-malformed', '[["$live",1],{"not":2},"an array"]', /malformed live-object record/);
    await refusedEverywhere('live-inline', '[["$live",{"x":1}]]', /reference that is not an index/);
    await refusedEverywhere('live-cycle', '[["$live",0]]', /malformed value/);
  });

  it('__proto__ keys are refused (plain and null-prototype objects)', async () => {
    await refusedEverywhere('proto-plain', '[{"__proto__":1},{"polluted":2},true]', /__proto__/);
    await refusedEverywhere('proto-null', '[["null","__proto__",1],{"isAdmin":2},true]', /__proto__/);
    await refusedEverywhere('proto-deep', '[{"a":1},{"b":2},{"__proto__":3},{"polluted":4},true]', /__proto__/);
  });

  it('constructor and prototype keys stay plain data and pollute nothing', async () => {
    const text = '[{"constructor":1,"toString":4},{"prototype":2},{"polluted":3},true,"not a function"]';
    const { job, control } = await planted('ctor-keys', text);
    await job();
    expect(control.resumed).toEqual({ constructor: { prototype: { polluted: true } }, toString: 'not a function' });
    expect(Object.getPrototypeOf(control.resumed)).toBe(Object.prototype);
    expectNoPollution();
  });

  it('a snapshot record with __proto__ keys pollutes nothing', async () => {
    const backend = new MemoryBackend();
    const job = safeState(async () => undefined, { name: 'snap-proto', backend, autoIterate: false });
    backend.saveSync(
      'snap-proto',
      '{"safestate":1,"job":"snap-proto","total":null,"fp":[],"runs":1,"complete":false,"created":1,"updated":1,"w":0,"s":"",' +
        '"failure":{"index":null,"name":"E","message":"m","stack":null,"at":"x","__proto__":{"polluted":true}},"state":null,"frozen":null,"__proto__":{"isAdmin":true}}\n',
    );
    const cp = await job.peekCheckpoint();
    expect(cp!.lastFailure!.message).toBe('m');
    await job();
    expectNoPollution();
  });

  it('references out of range and other malformed shapes are refused', async () => {
    await refusedEverywhere('ref-range', '[{"a":5}]', /beyond the end/);
    await refusedEverywhere('ref-negative', '[{"a":-99}]', /unknown constant/);
    await refusedEverywhere('not-json', '[{"a":', /not valid JSON/);
    await refusedEverywhere('not-array', '{"a":1}', /not a devalue array/);
    await refusedEverywhere('empty', '[]', /not a devalue array/);
  });
});

describe('hostile sizes fail fast with a clear error', () => {
  it(`nesting deeper than ${SERIALIZATION_LIMITS.maxDepth} levels (here 200,000) is refused before parsing recurses`, async () => {
    const depth = 200_000;
    const flat: unknown[] = [];
    for (let i = 0; i < depth; i++) flat.push({ c: i + 1 });
    flat.push(0);
    await refusedEverywhere('deep', JSON.stringify(flat), new RegExp(`nested more than ${SERIALIZATION_LIMITS.maxDepth} levels deep`));
  });

  it('a shallow but wide value of the same size loads fine', async () => {
    const flat: unknown[] = [Array.from({ length: 200_000 }, (_, i) => i + 1), ...Array.from({ length: 200_000 }, (_, i) => i)];
    const { job, control } = await planted('wide', JSON.stringify(flat));
    await job();
    expect((control.resumed as number[]).length).toBe(200_000);
  });

  it('a value longer than the size limit is refused before it is parsed', async () => {
    // not JSON past the limit (no closing quote or bracket): were it parsed first, the error would say
    // "not valid JSON"; the size message shows the length was checked before any parse (no timing)
    const text = `["${'a'.repeat(SERIALIZATION_LIMITS.maxValueChars)}`;
    await refusedEverywhere('huge', text, new RegExp(`characters long, more than the limit of ${SERIALIZATION_LIMITS.maxValueChars}`));
  });

  it('a BigInt with too many digits (parsing is quadratic) is refused', async () => {
    await refusedEverywhere('bigint', JSON.stringify([['BigInt', '9'.repeat(2_000_000)]]), /BigInt has 2000000 digits/);
  });

  it('a progress record naming billions of out-of-order items is held as one range: loaded at once, nothing allocated per item', async () => {
    const { job } = await planted('sparse', '[1]', '+10-4000000000 1700000000000\n');
    const cp = await job.peekCheckpoint();
    expect(cp!.completedIndices.size).toBe(4_000_000_000 - 10 + 1);
    expect(cp!.completedIndices.has(9)).toBe(false);
    expect(cp!.completedIndices.has(10)).toBe(true);
    expect(cp!.completedIndices.has(4_000_000_000)).toBe(true);
    expect(cp!.completedIndices.has(4_000_000_001)).toBe(false);
  });
});

describe('what cannot be loaded cannot be saved', () => {
  it('a state nested too deeply, or too large, fails at checkpoint() and the stored checkpoint stays as it was', async () => {
    const backend = new MemoryBackend();
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < SERIALIZATION_LIMITS.maxDepth + 10; i++) deep = { c: deep };
    const errors: unknown[] = [];
    const job = safeState(
      async () => {
        await checkpoint({ ok: 1 });
        for (const bad of [deep, { n: BigInt('9'.repeat(SERIALIZATION_LIMITS.maxBigIntDigits + 1)) }]) {
          try {
            await checkpoint(bad);
          } catch (e) {
            errors.push(e);
          }
        }
        throw new Error('stop');
      },
      { name: 'save-limits', backend, autoIterate: false },
    );
    await expect(job()).rejects.toThrow('stop');
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toBeInstanceOf(UnserializableStateError);
    expect((errors[0] as Error).message).toMatch(/cannot save state \(Object\): .*(nested more than 1000 levels|nested too deeply)/);
    expect((errors[1] as Error).message).toMatch(/BigInt has \d+ digits/);
    expect((await job.peekCheckpoint())!.state).toEqual({ ok: 1 });
  });
});
