import { newToken } from '../backends/shared-chunk-codec';
import { JobLockedError } from '../errors/job-locked-error';
import type { KeyClaims } from './key-claims';
import { emitEngineWarning } from '../engine/logger';

/** Code of the process warning of a call whose claim lapsed while it ran (its result was not recorded). */
export const CLAIM_LAPSED = 'SAFE_STATE_CLAIM_LAPSED';

/**
 * Says that a call's claim lapsed while it ran: the process did not renew it for longer than the
 * lease (stopped, starved of CPU, blocked in a synchronous call, cut off from the server), so
 * another caller may have taken the key over and run the effect a second time.
 */
function warnLapsed(display: string, leaseMs: number): void {
  emitEngineWarning(
    `the claim of ${display} was lost while the call ran: it lapsed (not renewed for more than the backend's leaseMs, ${leaseMs} ms: ` +
      `the process was paused, starved or cut off from its server) and another caller may have taken the key over and run the effect ` +
      `a second time, or the key was deleted meanwhile. This call's result was not recorded. Raise leaseMs above the longest pause a call can meet.`,
    CLAIM_LAPSED,
  );
}

/** A call of this process running under a claim (or whose record waits for its transaction's end). */
interface Running {
  done: Promise<void>;
  /** the transaction its result was recorded in, and that result (a call of the key inside it replays it) */
  tx?: object;
  text?: string;
}

/** Calls of this process running under a claim, by claims object then `store\0key` (same-process waiters await them instead of polling). */
const running = new WeakMap<KeyClaims, Map<string, Running>>();

/**
 * The pause between two looks at a key another process holds. Not unref()ed: a caller awaits it
 * (an unref()ed timer would let the process exit silently mid-wait); bounded by `waitMs`.
 */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Longest pause between two looks at a held key (ms). @internal */
export const MAX_POLL_MS = 50;

/** What a claimed call needs to know. @internal */
export interface ClaimedCall<T> {
  claims: KeyClaims;
  store: string;
  key: string;
  /** for messages: the scope and key */
  display: string;
  ttlMs: number | undefined;
  /** how long to wait for a live holder before failing with JobLockedError */
  waitMs: number;
  /** runs the effect and answers its result with its serialized form */
  body: () => Promise<{ value: T; text: string }>;
  /** turns a recorded text back into a result */
  replay: (text: string) => Promise<T>;
  /**
   * The caller's transaction when the result is recorded through it (exactly-once): the key stays
   * claimed (and counts as running in this process) until it ends; then the claim is released
   * (a no-op when the record committed: release only deletes an unrecorded claim).
   */
  transaction?: {
    tx: object;
    record(token: string, text: string): Promise<void>;
    onEnd(fn: () => void): void;
  };
}

/**
 * One `@Idempotent` call under a per-key claim (Redis, SQL): the recorded result is replayed;
 * otherwise the key is claimed (one process at a time, any number of processes at once on other
 * keys), the body runs while the claim's lease is renewed, and its result is recorded fenced by
 * the claim's token. A failed body releases the claim (the next caller runs it). A holder that
 * dies mid-call leaves its claim to lapse after the lease: then another caller takes it over and
 * runs the body again (at-least-once, never two at the same time while the holder renews).
 * Waiters poll with a growing pause (up to {@link MAX_POLL_MS}, or the holder's remaining lease).
 * @internal
 */
export async function claimedCall<T>(c: ClaimedCall<T>): Promise<T> {
  let local = running.get(c.claims);
  if (!local) running.set(c.claims, (local = new Map()));
  const id = `${c.store}\0${c.key}`;
  const started = Date.now();
  let pause = 1;
  for (;;) {
    const mine = local.get(id);
    if (mine) {
      if (mine.tx !== undefined && mine.tx === c.transaction?.tx) return c.replay(mine.text!);
      await mine.done;
      continue;
    }
    const token = newToken();
    const answer = await c.claims.claim(c.store, c.key, token, c.claims.leaseMs);
    if (answer.kind === 'done') return c.replay(answer.text);
    if (answer.kind === 'held') {
      if (Date.now() - started >= c.waitMs) {
        const err = new JobLockedError(c.display, null);
        err.message = `the call ${c.display} is running in another process (its claim is live) after ${c.waitMs} ms of waiting; raise the cache's waitMs, or retry later`;
        throw err;
      }
      await sleep(Math.max(1, Math.min(pause, answer.retryInMs, MAX_POLL_MS)));
      pause = Math.min(pause * 2, MAX_POLL_MS);
      continue;
    }
    let settle!: () => void;
    const entry: Running = { done: new Promise<void>((r) => (settle = r)) };
    local.set(id, entry);
    const renew = setInterval(() => {
      c.claims.renew(c.store, c.key, token, c.claims.leaseMs).catch(() => undefined);
    }, Math.max(1, Math.floor(c.claims.leaseMs / 3)));
    renew.unref();
    let handedOff = false;
    try {
      let out: { value: T; text: string };
      try {
        out = await c.body();
      } catch (e) {
        clearInterval(renew);
        await c.claims.release(c.store, c.key, token).catch(() => undefined);
        throw e;
      }
      const t = c.transaction;
      if (t) {
        try {
          await t.record(token, out.text);
        } catch (e) {
          await c.claims.release(c.store, c.key, token).catch(() => undefined);
          throw e;
        }
        entry.tx = t.tx;
        entry.text = out.text;
        handedOff = true;
        t.onEnd(() => {
          clearInterval(renew);
          void c.claims
            .release(c.store, c.key, token)
            .catch(() => undefined)
            .finally(() => {
              local.delete(id);
              settle();
            });
        });
        return out.value;
      }
      clearInterval(renew);
      // false: our lease lapsed and another caller holds (or recorded) the key; its record stands
      if (!(await c.claims.record(c.store, c.key, token, out.text, c.ttlMs))) warnLapsed(c.display, c.claims.leaseMs);
      return out.value;
    } finally {
      if (!handedOff) {
        clearInterval(renew);
        local.delete(id);
        settle();
      }
    }
  }
}
