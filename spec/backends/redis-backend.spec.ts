import * as net from 'node:net';
import * as os from 'node:os';
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { RedisBackend, safeState, BackendError, InvalidOptionsError, JobLockedError, type LockHolder } from '../../lib/index';
import { range } from '../helpers';
import { testServers } from '../setup/servers';

const url = () => testServers().redisUrl;
let serial = 0;
const prefix = () => `rb:${process.pid}:${serial++}:`;
const me = (): LockHolder => ({ pid: process.pid, host: os.hostname(), since: Date.now(), startTime: null });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RedisBackend', () => {
  let raw: Redis;
  const opened: RedisBackend[] = [];
  const open = (options: Parameters<typeof RedisBackend.fromUrl>[1] = {}) => {
    const b = RedisBackend.fromUrl(url(), { prefix: prefix(), ...options });
    opened.push(b);
    return b;
  };

  beforeAll(() => {
    raw = new Redis(url());
  });
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()));
    await raw.quit();
  });

  describe('options', () => {
    it('validates the prefix, the lease and unknown options, naming the option', () => {
      const client = raw;
      for (const p of ['', 'has space', 'tag{', 'glob*', 'q?', '[x]', 'back\\', 'é', 'x'.repeat(201)]) {
        const err = (() => {
          try {
            new RedisBackend(client, { prefix: p });
          } catch (e) {
            return e;
          }
        })();
        expect(err).toBeInstanceOf(InvalidOptionsError);
        expect((err as InvalidOptionsError).option).toBe('prefix');
      }
      expect(() => new RedisBackend(client, { leaseMs: 10 })).toThrow(expect.objectContaining({ option: 'leaseMs' }));
      expect(() => new RedisBackend(client, { prefx: 'a:' } as never)).toThrow(expect.objectContaining({ option: 'prefx' }));
      expect(() => new RedisBackend({} as never)).toThrow(expect.objectContaining({ option: 'client' }));
      expect(() => RedisBackend.fromUrl('http://localhost')).toThrow(expect.objectContaining({ option: 'url' }));
      expect(() => RedisBackend.fromUrl('not a url')).toThrow(expect.objectContaining({ option: 'url' }));
      expect(() => RedisBackend.fromUrl(url(), { connectTimeoutMs: 0 })).toThrow(expect.objectContaining({ option: 'connectTimeoutMs' }));
      expect(new RedisBackend(client).prefix).toBe('safe-state:');
    });
  });

  describe('keys', () => {
    it('keeps a job at <prefix>job:{<escaped name>} and lists it back exactly', async () => {
      const b = open();
      const name = 'a{b}%c\nü\ud800';
      await b.save(name, 'text\n');
      expect(await raw.get(`${b.prefix}job:{a%7Bb%7D%25c%0Aü%uD800}`)).toBe('text\n');
      expect(await b.list()).toEqual([name]);
      const other = open();
      expect(await other.list()).toEqual([]); // another prefix sees nothing
      expect(await other.load(name)).toBeNull();
      await b.delete(name);
      expect(await raw.exists(`${b.prefix}job:{a%7Bb%7D%25c%0Aü%uD800}`)).toBe(0);
    });

    it('lists many jobs with SCAN', async () => {
      const b = open();
      const names = range(2500).map((i) => `job ${i}`);
      const pipe = raw.pipeline();
      for (const n of names) pipe.set(`${b.prefix}job:{${n}}`, 'x');
      await pipe.exec();
      expect(await b.list()).toEqual([...names].sort());
    });
  });

  describe('lock', () => {
    it('stores the holder with a token under an expiring lease, renewed while held', async () => {
      const b = open({ leaseMs: 1000 });
      const lock = await b.lock('renewed', me());
      const key = `${b.prefix}lock:{renewed}`;
      const record = JSON.parse((await raw.get(key))!);
      expect(record).toMatchObject({ pid: process.pid, host: os.hostname() });
      expect(typeof record.token).toBe('string');
      const ttl = await raw.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1000);
      await sleep(1600); // longer than the lease: renewals keep it
      expect(JSON.parse((await raw.get(key))!).token).toBe(record.token);
      await lock.release();
      expect(await raw.exists(key)).toBe(0);
    });

    it('takes over a holder on another host once its lease ran out', async () => {
      const b = open({ leaseMs: 1000 });
      const key = `${b.prefix}lock:{remote}`;
      await raw.set(key, JSON.stringify({ token: 't', pid: 4242, host: 'elsewhere.example', since: Date.now(), startTime: null }), 'PX', 800);
      const job = safeState(async (xs: number[]) => {
        for await (const x of xs) void x;
      }, { name: 'remote', backend: b });
      await expect(job([1])).rejects.toMatchObject({ code: 'JOB_LOCKED', holder: { pid: 4242, host: 'elsewhere.example' } });
      await sleep(900);
      await job([1]);
    });

    it('takes over at once a holder on this host whose process is gone', async () => {
      const b = open();
      const deadPid = spawnSync('true').pid!;
      const key = `${b.prefix}lock:{dead}`;
      await raw.set(key, JSON.stringify({ token: 't', pid: deadPid, host: os.hostname(), since: Date.now(), startTime: null }), 'PX', 60_000);
      const lock = await b.lock('dead', me());
      expect(JSON.parse((await raw.get(key))!).pid).toBe(process.pid);
      await lock.release();
    });

    it('a run whose lock was taken over stops at its next save with JobLockedError, writing nothing more', async () => {
      const b = open();
      const name = 'fenced';
      let stolen = '';
      const job = safeState(async (xs: number[]) => {
        for await (const x of xs) {
          if (x === 3) {
            stolen = (await raw.get(`${b.prefix}job:{${name}}`))!;
            await raw.set(`${b.prefix}lock:{${name}}`, JSON.stringify({ token: 'other', pid: 777, host: 'thief.example', since: Date.now(), startTime: null }), 'PX', 60_000);
          }
        }
      }, { name, backend: b });
      const err = await job(range(10)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JobLockedError);
      expect((err as JobLockedError).holder).toMatchObject({ pid: 777, host: 'thief.example' });
      expect(await raw.get(`${b.prefix}job:{${name}}`)).toBe(stolen); // neither item 3 nor the failure save landed
      expect(JSON.parse((await raw.get(`${b.prefix}lock:{${name}}`))!).pid).toBe(777); // and the release left the thief's lock alone
    });

    it('a run whose lapsed lock another run took, used and released loses the fence: its saves and its delete write nothing', async () => {
      const a = open({ leaseMs: 1000 });
      const b = new RedisBackend(raw, { prefix: a.prefix, leaseMs: 1000 });
      const name = 'lapsed';
      const lockA = await a.lock(name, me());
      await a.save(name, 'a0\n');
      await raw.del(`${a.prefix}lock:{${name}}`); // A's lease lapsed (A was stopped)
      const lockB = await b.lock(name, me());
      await b.save(name, 'b0\n');
      await b.delete(name); // B finished the job and cleared it
      await lockB.release();
      for (const write of [() => a.append(name, 'a1\n'), () => a.save(name, 'a1\n'), () => a.delete(name)]) {
        const err = await write().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(JobLockedError);
        expect(err).toMatchObject({ lost: true, message: expect.stringContaining('lost its lock to another run') });
      }
      expect(await raw.exists(`${a.prefix}job:{${name}}`, `${a.prefix}lock:{${name}}`)).toBe(0); // nothing recreated
      await lockA.release();
      expect(await raw.get(`${a.prefix}fence:{${name}}`)).toBe('2'); // one generation per acquisition
    });

    it('a body that blocks the event loop past the lease keeps its run: the next save takes the lapsed lease back', async () => {
      const b = open({ leaseMs: 1000 });
      const job = safeState(async (xs: number[]) => {
        for await (const x of xs) {
          if (x === 1) {
            const until = Date.now() + 1300;
            while (Date.now() < until); // no timer can run: the lease lapses
          }
        }
      }, { name: 'blocked', backend: b });
      await job(range(4));
      expect(await raw.exists(`${b.prefix}lock:{blocked}`)).toBe(0);
    });
  });

  describe('failing fast', () => {
    it('an unreachable server (nothing listening) fails with BackendError at once', async () => {
      const port = 1; // nothing listens there (a random free port could be taken meanwhile by another test file's server)
      const b = RedisBackend.fromUrl(`redis://127.0.0.1:${port}`);
      const t0 = Date.now();
      const err = await b.load('x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendError);
      expect((err as Error).message).toMatch(/ECONNREFUSED/);
      expect((err as BackendError).cause).toBeDefined();
      expect(Date.now() - t0).toBeLessThan(2000);
      const job = safeState(async (xs: number[]) => {
        for await (const x of xs) void x;
      }, { name: 'down', backend: b });
      await expect(job([1])).rejects.toBeInstanceOf(BackendError);
      await b.close();
    });

    it('a server that accepts but never answers fails with BackendError within 5 s by default', async () => {
      const sockets: net.Socket[] = [];
      const server = net.createServer((s) => sockets.push(s)).listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      const port = (server.address() as net.AddressInfo).port;
      const b = RedisBackend.fromUrl(`redis://127.0.0.1:${port}`);
      const t0 = Date.now();
      const err = await b.save('x', 'y\n').catch((e: unknown) => e);
      const took = Date.now() - t0;
      expect(err).toBeInstanceOf(BackendError);
      expect(took).toBeGreaterThan(4000);
      expect(took).toBeLessThan(6500);
      await b.close();
      for (const s of sockets) s.destroy();
      server.close();
    }, 20_000);
  });

  describe('close', () => {
    it("closes fromUrl's client but never a client of yours", async () => {
      const mine = new Redis(url());
      const b = new RedisBackend(mine, { prefix: prefix() });
      await b.save('x', 'y\n');
      await b.close();
      expect(await mine.ping()).toBe('PONG');
      await mine.quit();
      const owned = RedisBackend.fromUrl(url(), { prefix: prefix() });
      await owned.save('x', 'y\n');
      await owned.close();
      expect((owned.client as Redis).status).toBe('end');
    });
  });
});
