import { RangeList } from '../../lib/progress/range-list';
import { IndexProgress } from '../../lib/progress/index-progress';
import { KeyProgress, type ItemKey } from '../../lib/progress/key-progress';
import { formatRanges, parseRangePairs } from '../../lib/progress/ranges';
import { prng } from '../helpers';

/**
 * The progress records against a plain `Set` model: random operations (seeded), then every
 * answer compared. And the property the ranges exist for: a loaded range costs two numbers, not
 * one entry per index, so counts, membership and the next undone index come without expanding it.
 */

const sortedOf = (s: Set<number>) => [...s].sort((a, b) => a - b);

describe('RangeList against a Set model', () => {
  it.each([1, 2, 3, 4, 5])('seed %i: add, remove, shift, membership, ends and text agree', (seed) => {
    const rnd = prng(seed);
    const int = (n: number) => Math.floor(rnd() * n);
    const list = new RangeList();
    const model = new Set<number>();
    for (let step = 0; step < 1500; step++) {
      const op = rnd();
      const a = int(300);
      const b = a + int(rnd() < 0.7 ? 3 : 40);
      if (op < 0.55) {
        let added = 0;
        for (let i = a; i <= b; i++) if (!model.has(i)) (model.add(i), added++);
        expect(list.add(a, b)).toBe(added);
      } else if (op < 0.9) {
        let removed = 0;
        for (let i = a; i <= b; i++) if (model.delete(i)) removed++;
        expect(list.remove(a, b)).toBe(removed);
      } else {
        const first = sortedOf(model)[0];
        const end = list.shift();
        if (first === undefined) expect(end).toBe(-1);
        else for (let i = first; i <= end; i++) expect(model.delete(i)).toBe(true);
        if (first !== undefined) expect(model.has(end + 1)).toBe(false);
      }
      expect(list.size).toBe(model.size);
      const probe = int(320);
      expect(list.has(probe)).toBe(model.has(probe));
      if (model.has(probe)) {
        let e = probe;
        while (model.has(e + 1)) e++;
        expect(list.endOf(probe)).toBe(e);
      } else expect(list.endOf(probe)).toBe(-1);
    }
    expect(list.text()).toBe(formatRanges(sortedOf(model)));
    expect([...list.values()]).toEqual(sortedOf(model));
    expect([...list.clone().values()]).toEqual(sortedOf(model));
  });

  it('fromPairs joins pairs in any order, overlapping or touching, into disjoint sorted ranges', () => {
    const l = RangeList.fromPairs([50, 60, 0, 4, 5, 9, 55, 70, 100, 100, 3, 3]);
    expect(l.text()).toBe('0-9,50-70,100');
    expect(l.size).toBe(10 + 21 + 1);
    expect(l.union([10, 11, 11, 99]).text()).toBe('0-11,50-70,99-100');
  });
});

describe('IndexProgress against a Set model', () => {
  it.each([11, 12, 13])('seed %i: marks in and out of order, resets, loads and snapshots agree', (seed) => {
    const rnd = prng(seed);
    const int = (n: number) => Math.floor(rnd() * n);
    let p = new IndexProgress();
    const model = new Set<number>();
    const next = (from: number) => {
      let i = from;
      while (model.has(i)) i++;
      return i;
    };
    for (let step = 0; step < 2000; step++) {
      const op = rnd();
      if (op < 0.6) {
        const i = rnd() < 0.5 ? next(0) + int(4) : int(400);
        expect(p.markDone(i)).toBe(!model.has(i));
        model.add(i);
      } else if (op < 0.7) {
        const a = int(400);
        const b = a + int(30);
        let removed = 0;
        for (let i = a; i <= b; i++) if (model.delete(i)) removed++;
        expect(p.markUndone(a, b)).toBe(removed);
      } else if (op < 0.75) {
        // a round trip through the snapshot form, as a compaction and a reload do
        const { w, s } = p.toJSON();
        p = new IndexProgress();
        p.loadSnapshot(w, s);
      } else if (op < 0.8) {
        const a = int(400);
        const b = a + int(20);
        // a progress record lists ranges in completion order, and may name done indices again
        for (let i = a; i <= b + 2; i++) model.add(i);
        p.applyRanges(`${b + 2},${a}-${b},${b + 1}`);
      }
      expect(p.size).toBe(model.size);
      const probe = int(450);
      expect(p.isDone(probe)).toBe(model.has(probe));
      expect(p.nextUndone(probe)).toBe(next(probe));
      expect(p.watermark).toBe(next(0));
    }
    expect([...p.indices()]).toEqual(sortedOf(model));
    expect([...p.clone().indices()]).toEqual(sortedOf(model));
  });

  it('a loaded range is never expanded: 5-15999990 counts, answers and jumps without per-index memory', () => {
    const before = process.memoryUsage();
    const p = new IndexProgress();
    p.loadSnapshot(0, '');
    p.applyRanges('5-15999990');
    expect(p.size).toBe(15_999_986);
    expect(p.isDone(4)).toBe(false);
    expect(p.isDone(15_999_990)).toBe(true);
    expect(p.nextUndone(0)).toBe(0);
    expect(p.nextUndone(5)).toBe(15_999_991);
    for (let i = 0; i < 5; i++) p.markDone(i);
    expect(p.watermark).toBe(15_999_991);
    expect(p.toJSON()).toEqual({ w: 15_999_991, s: '' });
    const after = process.memoryUsage();
    // a Set of 16 million numbers takes hundreds of MB; the ranges take bytes
    expect(after.heapUsed - before.heapUsed).toBeLessThan(32 * 1024 * 1024);
  });

  it('the sequential hot path keeps no per-index memory and the snapshot stays O(1)', () => {
    const p = new IndexProgress();
    let wrong = 0;
    for (let i = 0; i < 1_000_000; i++) {
      if (p.nextUndone(i) !== i) wrong++;
      p.markDone(i);
    }
    expect(wrong).toBe(0);
    expect(p.aboveWatermark).toBe(0);
    expect(p.toJSON()).toEqual({ w: 1_000_000, s: '' });
  });
});

describe('KeyProgress against a Set model', () => {
  it.each([21, 22, 23])('seed %i: keys of every kind, resets and snapshot round trips agree', (seed) => {
    const rnd = prng(seed);
    const int = (n: number) => Math.floor(rnd() * n);
    const keyOf = (): ItemKey => {
      const r = rnd();
      return r < 0.6 ? int(200) : r < 0.8 ? `k${int(50)}` : r < 0.9 ? -int(20) - 1 : int(20) + 0.5;
    };
    let p = new KeyProgress();
    const model = new Set<ItemKey>();
    for (let step = 0; step < 1500; step++) {
      const op = rnd();
      const k = keyOf();
      if (op < 0.6) {
        expect(p.markDone(k)).toBe(!model.has(k));
        model.add(k);
      } else if (op < 0.75) {
        expect(p.markUndone(k)).toBe(model.delete(k));
      } else if (op < 0.8) {
        const snap = p.toSnapshot();
        p = new KeyProgress();
        p.beginLoad();
        p.addAll(snap.keys);
        p.applyRanges(snap.kn);
        p.endLoad();
      }
      expect(p.size).toBe(model.size);
      const probe = keyOf();
      expect(p.isDone(probe)).toBe(model.has(probe));
      expect(p.keys.has(probe)).toBe(model.has(probe));
    }
    expect(new Set(p.keys)).toEqual(model);
    expect(new Set(p.clone().keys)).toEqual(model);
    const snap = p.toSnapshot();
    const ints = [...model].filter((k): k is number => typeof k === 'number' && Number.isSafeInteger(k) && k >= 0);
    expect(snap.kn).toBe(formatRanges(ints.sort((a, b) => a - b)));
    expect(new Set(snap.keys)).toEqual(new Set([...model].filter((k) => !ints.includes(k as number))));
  });

  it('a loaded key range is never expanded', () => {
    const before = process.memoryUsage();
    const p = new KeyProgress();
    p.beginLoad();
    p.addAll(['a']);
    p.applyRanges('0-15999999');
    p.endLoad();
    expect(p.size).toBe(16_000_001);
    expect(p.isDone(15_999_999)).toBe(true);
    expect(p.isDone('a')).toBe(true);
    expect(p.markDone(16_000_000)).toBe(true);
    expect(p.toSnapshot()).toEqual({ kn: '0-16000000', keys: ['a'] });
    expect(process.memoryUsage().heapUsed - before.heapUsed).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('ranges text', () => {
  it.each([
    ['-1', /malformed index range '-1'/],
    ['1.5', /malformed index range '1.5'/],
    ['5-3', /runs backwards/],
    ['1,,2', /malformed index range ''/],
    ['9007199254740992', /beyond Number.MAX_SAFE_INTEGER/],
    ['0-' + '9'.repeat(400), /beyond Number.MAX_SAFE_INTEGER/],
    ['1e3', /malformed index range/],
    [' 1', /malformed index range/],
  ])('ranges text %# is refused', (text, message) => {
    expect(() => parseRangePairs(text, false)).toThrow(message);
  });

  it('snapshot ranges must ascend without overlapping; progress records may list them in completion order', () => {
    expect(parseRangePairs('5,1-3', false)).toEqual([5, 5, 1, 3]);
    expect(() => parseRangePairs('5,1-3', true)).toThrow(/overlaps or precedes/);
    expect(() => parseRangePairs('1-5,5-8', true)).toThrow(/overlaps or precedes/);
    expect(parseRangePairs('1-5,6-8', true)).toEqual([1, 5, 6, 8]);
    expect(parseRangePairs('9007199254740991', true)).toEqual([Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);
  });
});
