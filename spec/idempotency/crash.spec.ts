import * as path from 'node:path';
import { tempDir } from '../helpers';
import { effectsOf, kill, runChild, startChild } from './child';

// Real processes killed with SIGKILL at a known point (the child tells where it is, then hangs).
// The documented outcome (docs/idempotency.md): delivery is at-least-once. A kill between the
// side effect and its record repeats the effect once on the next call; a kill after the record
// never repeats it.

describe('a process killed around an @Idempotent call (cache)', () => {
  it('killed between the side effect and its record: the next call runs it again, once', async () => {
    const dir = tempDir();
    const effects = path.join(dir, 'effects.log');
    const first = startChild([dir, effects, 'cache-hang-after-effect', 'k1']);
    await first.waitFor('effect');
    await kill(first);
    expect(effectsOf(effects)).toEqual([['k1', first.proc.pid]]);

    const second = await runChild([dir, effects, 'cache-run', 'k1']);
    const log = effectsOf(effects);
    expect(log.map(([k]) => k)).toEqual(['k1', 'k1']); // repeated exactly once
    expect(second).toBe(`done:k1:${log[1][1]}`);

    // from now on it is recorded: a third process replays the second one's result
    const third = await runChild([dir, effects, 'cache-run', 'k1']);
    expect(third).toBe(second);
    expect(effectsOf(effects)).toHaveLength(2);
  });

  it('killed after the record: the effect is never repeated, the result is replayed', async () => {
    const dir = tempDir();
    const effects = path.join(dir, 'effects.log');
    const first = startChild([dir, effects, 'cache-hang-after-record', 'k2']);
    await first.waitFor('recorded');
    await kill(first);
    const again = await runChild([dir, effects, 'cache-run', 'k2']);
    expect(again).toBe(`done:k2:${first.proc.pid}`);
    expect(effectsOf(effects)).toEqual([['k2', first.proc.pid]]);
  });
});

describe('a process killed around an @Idempotent call inside a @SafeState job', () => {
  it('killed between the effect and its record: the resumed job repeats that one effect once', async () => {
    const dir = tempDir();
    const effects = path.join(dir, 'effects.log');
    const first = startChild([dir, effects, 'job-hang-after-effect', 'x']);
    await first.waitFor('effect');
    await kill(first);
    expect(effectsOf(effects).map(([k]) => k)).toEqual(['a', 'b', 'x']);
    const result = await runChild([dir, effects, 'job-run', 'x']);
    // a and b were completed items: skipped; x ran again (at-least-once), then c
    expect(effectsOf(effects).map(([k]) => k)).toEqual(['a', 'b', 'x', 'x', 'c']);
    expect(result).toEqual(['done:x', 'done:c']);
  });

  it('killed after the record but before the item completed: the resumed job replays it without repeating the effect', async () => {
    const dir = tempDir();
    const effects = path.join(dir, 'effects.log');
    const first = startChild([dir, effects, 'job-hang-after-record', 'x']);
    await first.waitFor('recorded');
    await kill(first);
    const result = await runChild([dir, effects, 'job-run', 'x']);
    expect(effectsOf(effects).map(([k]) => k)).toEqual(['a', 'b', 'x', 'c']);
    expect(result).toEqual(['done:x', 'done:c']); // x replayed from its record
  });
});

describe('two processes calling one key of one cache at the same time', () => {
  it('the second waits for the first and replays its result: the method runs once', async () => {
    const dir = tempDir();
    const effects = path.join(dir, 'effects.log');
    const a = startChild([dir, effects, 'cache-run', 'shared', '1500']);
    await a.waitFor('started');
    const b = startChild([dir, effects, 'cache-run', 'shared', '0']);
    const [ra, rb] = await Promise.all([a.waitFor('result '), b.waitFor('result ')]);
    await Promise.all([a.exited, b.exited]);
    expect(effectsOf(effects)).toEqual([['shared', a.proc.pid]]);
    expect(b.lines).not.toContain('started'); // b never ran the method
    expect(rb).toBe(ra);
  });
});
