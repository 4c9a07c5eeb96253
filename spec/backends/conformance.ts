/**
 * The conformance suite every backend passes (Memory, File, a four-method subclass, Redis, SQL in
 * every dialect and driver, knex). Spec files call {@link describeConformance} once per target.
 */
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { safeState, checkpoint, resumeState, JobLockedError, type StateBackend, type LockHolder } from '../../lib/index';
import { range, TS_NODE } from '../helpers';
import { openBackend, traitsOf, type OpenBackend, type TargetDesc } from './targets';

const CHILD = path.resolve(__dirname, '../fixtures/conformance-job.ts');

/** Output of a child job run: the items its body got, whether it ended, its exit. */
interface ChildRun {
  started: number[];
  ended: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  lines: string[];
}

/** Runs the child job; `killWhen(started)` SIGKILLs it as soon as it answers true (checked on every chunk of output). */
function runChild(desc: TargetDesc, name: string, count: number, mode: 'async' | 'sync', killWhen?: (started: number[]) => boolean): Promise<ChildRun> {
  const child = spawn(TS_NODE[0], [...TS_NODE.slice(1), CHILD, JSON.stringify(desc), name, String(count), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  const started: number[] = [];
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  let killed = false;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      if (l.startsWith('B ')) started.push(Number(l.slice(2)));
    }
    if (!killed && killWhen?.(started)) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  return new Promise<ChildRun>((resolve) => {
    child.on('close', (code, signal) => resolve({ started, ended: lines.includes('END'), code, signal, stderr, lines }));
  });
}

const holderOf = (pid: number): LockHolder => ({ pid, host: require('node:os').hostname(), since: Date.now(), startTime: null });

/** A text that exercises encodings: multi-byte, astral, quotes, backslashes, newlines. */
function awkwardText(withNul: boolean): string {
  return `snapshot {"a":"ü é 中文 🚀 \\" \\\\ '"} \r\n` + 'line two\ttab\n' + (withNul ? 'nul:\u0000:end\n' : '') + 'ℕ∑∫ العربية עברית\n';
}

/** Job names a backend must keep apart and give back exactly. */
export const AWKWARD_NAMES = [
  'plain',
  'Plain',
  'plain ',
  'ünïcødé ✓ 中文 🚀',
  'with/slash\\back',
  "quote ' \" `tick`",
  'percent %25 %u0041 {braces} *?[glob]',
  'new\nline\ttab',
  'semi; DROP TABLE x; --',
  'x'.repeat(1000),
  'e\u0301 vs é', // combining accent vs precomposed: different names
];

/** Runs the whole conformance suite against one target. */
export function describeConformance(label: string, makeDesc: () => TargetDesc): void {
  describe(`backend conformance: ${label}`, () => {
    const desc: TargetDesc = makeDesc();
    const t = traitsOf(desc.kind);
    const traits = () => t;
    let opened: OpenBackend;
    let backend: StateBackend;
    let n = 0;
    const job = (base: string) => `${base}-${n++}`;
    /**
     * A case that applies to this backend only when `cond` holds: a capability the backend does
     * not offer (append, a lock between processes, persistence) is not a test to run, so it is not
     * registered at all.
     */
    const itIf = (cond: boolean) => (cond ? it : (..._args: Parameters<typeof it>) => undefined);

    beforeAll(async () => {
      opened = await openBackend(desc);
      backend = opened.backend;
    });

    afterAll(async () => {
      await opened?.close();
    });

    it('load / save / delete / exists', async () => {
      const name = job('basic');
      expect(await backend.load(name)).toBeNull();
      expect(await backend.exists(name)).toBe(false);
      await backend.delete(name); // deleting a missing job is fine
      await backend.save(name, 'first\n');
      expect(await backend.exists(name)).toBe(true);
      expect(await backend.load(name)).toBe('first\n');
      await backend.save(name, 'second\n');
      expect(await backend.load(name)).toBe('second\n');
      await backend.delete(name);
      expect(await backend.load(name)).toBeNull();
      expect(await backend.exists(name)).toBe(false);
      await backend.delete(name);
    });

    it('keeps text exactly (multi-byte, astral, quotes, backslashes, CR LF)', async () => {
      const name = job('text');
      const text = awkwardText(traits().nul);
      await backend.save(name, text);
      expect(await backend.load(name)).toBe(text);
      await backend.delete(name);
    });

    it('offers append exactly where expected', () => {
      expect(typeof backend.append === 'function').toBe(t.append);
    });

    itIf(t.append)('append adds after the saved text, and a save replaces both', async () => {
      const name = job('append');
      await backend.save(name, 'a\n');
      await backend.append!(name, 'b\n');
      await backend.append!(name, 'c ü\n');
      expect(await backend.load(name)).toBe('a\nb\nc ü\n');
      await backend.save(name, 'z\n');
      expect(await backend.load(name)).toBe('z\n');
      await backend.delete(name);
      expect(await backend.exists(name)).toBe(false);
    });

    it('stores and loads a large state (4 MiB)', async () => {
      const name = job('large');
      const chunk = 'ü€🚀 ' + 'x'.repeat(1000) + '\n';
      const text = chunk.repeat(Math.ceil((4 << 20) / Buffer.byteLength(chunk)));
      await backend.save(name, text);
      const back = await backend.load(name);
      expect(back!.length).toBe(text.length);
      expect(back === text).toBe(true);
      if (traits().append) {
        await backend.append!(name, 'tail\n');
        expect((await backend.load(name))!.endsWith(chunk + 'tail\n')).toBe(true);
      }
      await backend.delete(name);
    });

    it('a job with a large resumable state resumes it', async () => {
      const name = job('large-state');
      const big = { rows: Array.from({ length: 5_000 }, (_, i) => ({ i, s: `row ${i} ü 🚀` })) };
      let fail = true;
      let resumed: unknown;
      const run = safeState(async (xs: number[]) => {
        resumed = resumeState();
        for await (const x of xs) {
          if (x === 3) checkpoint(big);
          if (x === 5 && fail) throw new Error('boom');
        }
      }, { name, backend });
      await expect(run(range(8))).rejects.toThrow('boom');
      fail = false;
      await run(range(8));
      expect(resumed).toEqual(big);
      expect(await backend.exists(name)).toBe(false);
    });

    it('keeps job names with any characters apart and gives them back exactly', async () => {
      const prefix = job('names');
      const names = AWKWARD_NAMES.map((x) => `${prefix} ${x}`);
      for (const [i, name] of names.entries()) await backend.save(name, `content ${i}\n`);
      for (const [i, name] of names.entries()) expect(await backend.load(name)).toBe(`content ${i}\n`);
      if (traits().list) {
        const listed = (await backend.list()).filter((x) => x.startsWith(prefix + ' '));
        expect(listed.sort()).toEqual([...names].sort());
      }
      for (const name of names) {
        await backend.delete(name);
        expect(await backend.exists(name)).toBe(false);
      }
    });

    it('a failed job resumes at the failed item and clears its checkpoint on success', async () => {
      const name = job('resume ünïcødé');
      const seen: number[] = [];
      let failAt = 6;
      const run = safeState(async (xs: number[]) => {
        for await (const x of xs) {
          if (x === failAt) throw new Error('f');
          seen.push(x);
        }
      }, { name, backend });
      await expect(run(range(10))).rejects.toThrow('f');
      expect(await backend.exists(name)).toBe(true);
      failAt = -1;
      await run(range(10));
      expect(seen).toEqual(range(10));
      expect(await backend.exists(name)).toBe(false);
    });

    it('a second run while the first holds the lock fails with JobLockedError naming it; released after', async () => {
      const name = job('lock');
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const run = safeState(async (xs: number[]) => {
        for await (const x of xs) {
          if (x === 0) {
            entered();
            await gate;
          }
        }
      }, { name, backend });
      const first = run(range(3));
      await inside;
      const err = await run(range(3)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JobLockedError);
      expect((err as JobLockedError).holder?.pid).toBe(process.pid);
      expect((err as Error).message).toContain(`pid ${process.pid}`);
      release();
      await first;
      await run(range(3)); // the lock was released
      // and the raw hook: twice → locked, release → free again
      const l = await backend.lock(name, holderOf(process.pid));
      await expect(backend.lock(name, holderOf(process.pid))).rejects.toBeInstanceOf(JobLockedError);
      await l.release();
      await l.release(); // twice is fine
      await (await backend.lock(name, holderOf(process.pid))).release();
    });

    itIf(t.crossProcessLock)('the lock excludes another process, and a killed holder is taken over', async () => {
      const name = job('xlock');
      const child = spawn(TS_NODE[0], [...TS_NODE.slice(1), CHILD, JSON.stringify(desc), name, '3', 'hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('holding') && resolve());
        child.on('exit', (code) => reject(new Error(`holder exited early (${code})`)));
      });
      const run = safeState(async (xs: number[]) => {
        for await (const x of xs) void x;
      }, { name, backend });
      const err = await run(range(3)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JobLockedError);
      expect((err as JobLockedError).holder?.pid).toBe(child.pid);
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
      const t0 = Date.now();
      for (;;) {
        try {
          await run(range(3));
          break;
        } catch (e) {
          // the server frees a dead connection's locks as soon as it notices: allow it a moment
          if (!JobLockedError.is(e) || Date.now() - t0 > 5_000) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(Date.now() - t0).toBeLessThan(5_000);
    });

    const crashModes: ('async' | 'sync')[] = ['async', 'sync'];
    for (const mode of crashModes) {
      itIf(t.persistent && (mode === 'async' || t.sync))(`a job killed (SIGKILL) mid-run resumes: every item done, at most the item in flight repeated (${mode === 'async' ? 'for await' : 'for..of'})`, async () => {
        const name = job(`crash-${mode}`);
        const count = 300;
        const first = await runChild(desc, name, count, mode, (started) => started.length >= 100);
        expect({ signal: first.signal, ended: first.ended, stderr: first.stderr }).toEqual({ signal: 'SIGKILL', ended: false, stderr: '' });
        expect(first.started.length).toBeGreaterThanOrEqual(100);
        const lastInFlight = first.started[first.started.length - 1];
        const second = await runChild(desc, name, count, mode);
        expect({ code: second.code, ended: second.ended, stderr: second.stderr }).toEqual({ code: 0, ended: true, stderr: '' });
        const union = new Set([...first.started, ...second.started]);
        expect(union.size).toBe(count);
        const repeated = second.started.filter((i) => first.started.includes(i));
        expect(repeated.filter((i) => i !== lastInFlight)).toEqual([]);
        expect(second.started[0]).toBeGreaterThanOrEqual(lastInFlight);
        expect(await backend.exists(name)).toBe(false);
      });
    }
  });
}
