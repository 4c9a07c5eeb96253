import * as fs from 'node:fs';
import { Idempotent, IdempotencyCache, MemoryBackend, SafeState, safeState } from '../../lib/index';
import { range, tempDir } from '../helpers';

const recordsOf = (job: string) => `safe-state:idempotency:job:${job}`;

class Mailer {
  sent: number[] = [];
  @Idempotent({ key: (n: number) => `mail-${n}` })
  async send(n: number): Promise<string> {
    this.sent.push(n);
    return `message-${n}`;
  }
}

describe('@Idempotent inside a @SafeState job', () => {
  it('records live in the job\'s backend beside its checkpoint, replay on resume, and are removed when the job completes', async () => {
    const backend = new MemoryBackend();
    const mailer = new Mailer();
    let failAt = 2;
    const results: string[] = [];
    class Welcome {
      @SafeState({ name: 'welcome', backend })
      async run(users: number[]) {
        for (const u of users) {
          results.push(await mailer.send(u));
          if (u === failAt) throw new Error('crash after the send, before the item completed');
        }
      }
    }
    await expect(new Welcome().run(range(4))).rejects.toThrow('crash after the send');
    expect(mailer.sent).toEqual([0, 1, 2]);
    expect(await backend.exists(recordsOf('welcome'))).toBe(true);
    expect(await backend.load(recordsOf('welcome'))).toContain('message-2');
    const checkpoint = (await backend.load('welcome'))!;
    expect(checkpoint).not.toContain('message-'); // not inside the progress record

    failAt = -1;
    await new Welcome().run(range(4));
    expect(mailer.sent).toEqual([0, 1, 2, 3]); // item 2 ran again, its send was replayed
    expect(results).toEqual(['message-0', 'message-1', 'message-2', 'message-2', 'message-3']);
    expect(await backend.exists('welcome')).toBe(false);
    expect(await backend.exists(recordsOf('welcome'))).toBe(false);
    expect(await backend.list()).toEqual([]);
  });

  it('clearCheckpoint() removes the records too, so the next run sends again', async () => {
    const backend = new MemoryBackend();
    const mailer = new Mailer();
    const job = safeState(async function clearing(users: number[]) {
      for (const u of users) {
        await mailer.send(u);
        if (u === 1) throw new Error('stop');
      }
    }, { name: 'clearing', backend });
    await expect(job(range(3))).rejects.toThrow('stop');
    await job.clearCheckpoint();
    expect(await backend.list()).toEqual([]);
    await expect(job(range(3))).rejects.toThrow('stop');
    expect(mailer.sent).toEqual([0, 1, 0, 1]);
  });

  it('with keepOnSuccess the records stay with the kept checkpoint; a new run of the finished job starts with none', async () => {
    const backend = new MemoryBackend();
    const mailer = new Mailer();
    const job = safeState(async function kept(users: number[]) {
      for (const u of users) await mailer.send(u);
    }, { name: 'kept', backend, keepOnSuccess: true });
    await job(range(2));
    expect(await backend.exists(recordsOf('kept'))).toBe(true);
    await job(range(2));
    expect(mailer.sent).toEqual([0, 1, 0, 1]);
  });

  it('records are per job: the same key in two jobs runs in each', async () => {
    const backend = new MemoryBackend();
    const mailer = new Mailer();
    const jobA = safeState(async function a(users: number[]) {
      for (const u of users) await mailer.send(u);
      throw new Error('keep the checkpoint');
    }, { name: 'job-a', backend });
    const jobB = safeState(async function b(users: number[]) {
      for (const u of users) await mailer.send(u);
    }, { name: 'job-b', backend });
    await expect(jobA([7])).rejects.toThrow();
    await jobB([7]);
    expect(mailer.sent).toEqual([7, 7]);
  });

  it('with a cache option, records go to that cache (and outlive the job)', async () => {
    const backend = new MemoryBackend();
    const cache = new IdempotencyCache({ name: 'invoices', backend: new MemoryBackend() });
    let calls = 0;
    class Invoices {
      @Idempotent({ key: (n: number) => String(n), cache })
      async issue(n: number): Promise<number> {
        calls++;
        return n;
      }
      @SafeState({ name: 'invoicing', backend })
      async run(ns: number[]) {
        for (const n of ns) await this.issue(n);
      }
    }
    await new Invoices().run([1, 2]);
    await new Invoices().run([1, 2]);
    expect(calls).toBe(2);
    expect(await backend.list()).toEqual([]);
  });

  it('two concurrent calls of one key inside a job run the method once', async () => {
    const backend = new MemoryBackend();
    let calls = 0;
    class Parallel {
      @Idempotent({ key: (k: string) => k })
      async fetch(k: string): Promise<string> {
        calls++;
        await new Promise((r) => setTimeout(r, 20));
        return k;
      }
      @SafeState({ name: 'parallel', backend })
      async run(keys: string[]) {
        const out: string[] = [];
        for (const k of keys) out.push(...(await Promise.all([this.fetch(k), this.fetch(k)])));
        return out;
      }
    }
    expect(await new Parallel().run(['a', 'b'])).toEqual(['a', 'a', 'b', 'b']);
    expect(calls).toBe(2);
  });

  it('with the default FileBackend, the records are a file beside the checkpoint while the job is unfinished', async () => {
    const dir = tempDir();
    const mailer = new Mailer();
    let fail = true;
    const job = safeState(async function files(users: number[]) {
      for (const u of users) {
        await mailer.send(u);
        if (fail) throw new Error('stop');
      }
    }, { name: 'files', stateDir: dir });
    await expect(job([1, 2])).rejects.toThrow('stop');
    const names = fs.readdirSync(dir).sort();
    expect(names).toEqual([expect.stringMatching(/^files-[0-9a-f]{12}\.safestate$/), expect.stringMatching(/^safe-state_idempotency_job_files-[0-9a-f]{12}\.safestate$/)]);
    fail = false;
    await job([1, 2]);
    expect(mailer.sent).toEqual([1, 2]);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
