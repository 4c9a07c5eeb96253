import { InvalidOptionsError, MemoryBackend, withBackend, type Checkpoint, type ItemKey } from '../index';
import { probeScope, type ItemProbe, type ProbeHost, type ProbedRun } from '../engine/item-probe';
import { RunStorage, type KitLocks } from './run-storage';
import { InjectedFailure, SimulatedKill } from './simulated-crash';
import { TestKitError } from './test-kit-error';

/**
 * What to do to one run of a {@link TestJob}. Items are named by their index in the job's input, or
 * by their key for a job with the `key` option (the same ids {@link TestRunResult.processed} lists).
 * At most one of the three happens in a run: the first one reached.
 */
export interface TestRunOptions {
  /**
   * Kill the run like `kill -9` right after this item's body ran, before its completion was
   * recorded: from that moment nothing of the run reaches storage (not the engine's failure save,
   * not the release of its lock), and the next run takes the dead run's lock over at once.
   */
  killAt?: ItemKey;
  /**
   * Kill the run during the save that records this item's completion (with `saveEvery` > 1, the
   * save that comes due after it): that write never lands, so the next run sees the state from
   * before it.
   */
  killInSaveAt?: ItemKey;
  /**
   * Throw an ordinary error ({@link InjectedFailure}) at the end of this item's body, before its
   * completion counts: the engine records the failure and saves as it does for any error.
   */
  throwAt?: ItemKey;
}

/** What one run of a {@link TestJob} did. */
export interface TestRunResult {
  /** The run was killed (`killAt`, `killInSaveAt`). */
  killed: boolean;
  /** The job returned normally (its checkpoint is cleared, unless `keepOnSuccess`). */
  completed: boolean;
  /** Items (indices, or keys with the `key` option) whose body started in this run, in the order they started. */
  processed: ItemKey[];
  /** The first item this run handed to the body when it resumed a checkpoint; `null` on a fresh start or when no item ran. */
  resumedAt: ItemKey | null;
  /** The error the run ended with, or `null` (completed, or killed). */
  error: unknown;
  /** What the job returned, when it completed. */
  result: unknown;
}

const OPTION_NAMES = ['killAt', 'killInSaveAt', 'throwAt'] as const;
type OptionName = (typeof OPTION_NAMES)[number];

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function checkOptions(options: unknown): TestRunOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionsError('options', `t.run(options): options must be an object such as { killAt: 5 } (got ${typeOf(options)})`);
  }
  for (const name of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(name)) {
      throw new InvalidOptionsError(name, `${name}: unknown option of t.run(); the options are ${OPTION_NAMES.join(', ')}`);
    }
    const v = (options as Record<string, unknown>)[name];
    if (v === undefined) continue;
    const ok = typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
    if (!ok) throw new InvalidOptionsError(name, `${name}: must name an item by its index (an integer >= 0) or, with the job's 'key' option, by its key (got ${typeOf(v)})`);
  }
  return options as TestRunOptions;
}

/** One run: the kit's view of the engine's top-level run in it. */
class RunWatch implements ProbeHost {
  /** the watched run, once the engine started it */
  job: ProbedRun | null = null;
  readonly processed: ItemKey[] = [];
  resumedAt: ItemKey | null = null;
  killed = false;
  /** which option took effect */
  fired: OptionName | null = null;

  constructor(
    readonly storage: RunStorage,
    private readonly options: TestRunOptions,
    private readonly starts: Map<ItemKey, number>,
  ) {}

  attach(run: ProbedRun): ItemProbe | null {
    if (this.job !== null) return null; // a later top-level job of the same function: not watched
    this.job = run;
    const id = (index: number, key: ItemKey | undefined): ItemKey => (run.keyed ? key! : index);
    return {
      started: (index, key) => {
        if (this.storage.dead) return;
        const item = id(index, key);
        if (this.processed.length === 0 && run.resuming) this.resumedAt = item;
        this.processed.push(item);
        this.starts.set(item, (this.starts.get(item) ?? 0) + 1);
      },
      finished: (index, key) => {
        if (this.storage.dead || this.fired !== null) return;
        const item = id(index, key);
        const o = this.options;
        if (o.throwAt === item) {
          this.fired = 'throwAt';
          throw new InjectedFailure(item);
        }
        if (o.killAt === item) {
          this.fired = 'killAt';
          throw this.kill(`after item ${JSON.stringify(item)}`);
        }
        if (o.killInSaveAt === item) {
          this.fired = 'killInSaveAt';
          this.storage.tearNextWrite(run.name, () => this.kill(`in the save of item ${JSON.stringify(item)}`));
        }
      },
    };
  }

  private kill(what: string): Error {
    this.killed = true;
    this.storage.die();
    return new SimulatedKill(what);
  }

  /** When the options named an item but nothing happened (no kill, no throw): the error that says why. */
  unreached(): InvalidOptionsError | null {
    if (this.killed || this.fired === 'throwAt') return null;
    const name = OPTION_NAMES.find((n) => this.options[n] !== undefined);
    if (name === undefined) return null;
    const want = this.options[name]!;
    const job = this.job!;
    const kind = job.keyed ? 'key' : 'index';
    const ran = this.processed.length === 0
      ? 'no item was handed to the body (it never iterated its tracked input, or every item was done already)'
      : `the body ran ${this.processed.length} item(s) in this run, the last being ${JSON.stringify(this.processed[this.processed.length - 1])}`;
    const hint = !job.keyed && typeof want === 'string' ? "; without the job's 'key' option items are named by index (a number)" : '';
    const save = name === 'killInSaveAt' && this.fired === name ? `; item ${JSON.stringify(want)} ran, but no write of job '${job.name}' followed it` : '';
    return new InvalidOptionsError(name, `${name}: item ${JSON.stringify(want)} (by ${kind}) was never reached in job '${job.name}': ${ran}${hint}${save}`);
  }
}

/**
 * A job under test: each {@link TestJob.run} calls the function given to {@link testJob} with the
 * real engine, on storage of the test's own (an in-memory backend that wins over the backend the
 * job's decorator names), and can kill the run at an item the way `kill -9` would.
 */
export class TestJob {
  /** The storage of every run of this test (checkpoints, `@Idempotent` records, caches). */
  readonly backend: MemoryBackend = new MemoryBackend();
  /** The results of the runs so far, in order. */
  readonly runs: TestRunResult[] = [];
  private readonly locks: KitLocks = new Map();
  private readonly starts = new Map<ItemKey, number>();
  private peek: (() => Promise<unknown>) | null = null;
  private running = false;

  /** @param job - runs the job once, e.g. `() => new Import(db).run(rows)` */
  constructor(private readonly job: () => unknown) {}

  /**
   * Runs the job once, as a new process would after the previous one ended (or was killed). The
   * promise settles when the run's code has stopped, with what it did; it rejects only when the
   * test itself is wrong (see {@link TestKitError}, and {@link InvalidOptionsError} for options never reached).
   * @param options - an item at which to kill the run or to throw
   */
  async run(options?: TestRunOptions): Promise<TestRunResult> {
    const opts = checkOptions(options);
    if (this.running) throw new TestKitError('t.run(): the previous run of this testJob() has not finished; await each run before starting the next');
    this.running = true;
    const storage = new RunStorage(this.backend, this.locks);
    const watch = new RunWatch(storage, opts, this.starts);
    let result: unknown = undefined;
    let error: unknown = null;
    let completed = false;
    try {
      result = await probeScope.run(watch, () => withBackend(storage, this.job));
      completed = true;
    } catch (e) {
      error = e;
    } finally {
      this.running = false;
      storage.die(); // the run's process is gone: whatever it left running writes nothing more
    }
    if (watch.job === null) {
      if (error !== null) throw error; // the function failed before any job started
      throw new TestKitError('t.run(): the function given to testJob() started no safe-state job; it must call the job, e.g. testJob(() => new MyJob().run(items)) (jobs with workers: \'shared\' are not supported)');
    }
    this.peek = watch.job.peek;
    const unreached = completed ? watch.unreached() : null; // (a run that failed on its own says so in `error`)
    if (unreached) throw unreached;
    const r: TestRunResult = {
      killed: watch.killed,
      completed: completed && !watch.killed,
      processed: watch.processed,
      resumedAt: watch.resumedAt,
      error: watch.killed ? null : error,
      result: completed && !watch.killed ? result : undefined,
    };
    this.runs.push(r);
    return r;
  }

  /** Items (indices, or keys with the `key` option) whose body started more than once over all runs so far. */
  get repeated(): ItemKey[] {
    const out = [...this.starts].filter(([, n]) => n > 1).map(([item]) => item);
    return out.every((v) => typeof v === 'number') ? (out as number[]).sort((a, b) => a - b) : out;
  }

  /** The job's stored checkpoint now (between runs), or `null` when there is none (before the first run, or after it completed). */
  async checkpoint(): Promise<Checkpoint | null> {
    return this.peek ? ((await this.peek()) as Checkpoint | null) : null;
  }
}

/**
 * Puts a job under test: every `t.run()` calls `job()` with the real engine on an in-memory
 * backend of this test's own (whatever backend the job's decorator names: nothing reaches
 * `.safe_state`, and tests running in parallel never share state), and can kill the run at an
 * item as `kill -9` would, tear the save of an item, or throw at one. Works under jest, vitest and
 * `node:test` alike (it depends on none of them).
 *
 * @example
 * ```ts
 * import { testJob } from 'safe-state/testing';
 *
 * const t = testJob(() => new WelcomeEmails(mailer).run(users));
 * const r1 = await t.run({ killAt: 5 });   // dies after item 5's body ran, before it counted
 * expect(r1.killed).toBe(true);
 * const r2 = await t.run();                // the rerun
 * expect(r2.resumedAt).toBe(5);
 * expect(r2.completed).toBe(true);
 * expect(t.repeated).toEqual([5]);         // at-least-once: item 5 ran twice
 * ```
 * @param job - a function that runs the job once (the job must be started inside it)
 * @throws InvalidOptionsError (option `job`) when `job` is not a function
 */
export function testJob(job: () => unknown): TestJob {
  if (typeof job !== 'function') {
    throw new InvalidOptionsError('job', `testJob(job): job must be a function that runs the job once, e.g. testJob(() => new MyJob().run(items)) (got ${typeOf(job)}: pass the call inside a function, not its promise)`);
  }
  return new TestJob(job as () => unknown);
}
