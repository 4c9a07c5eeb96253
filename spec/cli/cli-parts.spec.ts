/**
 * The parts of the command line, in process: argument parsing, item lists, the table and the
 * progress bar, JSON conversion, and the reset of items in a checkpoint document.
 */
import { parseArgs } from '../../lib/cli/args';
import { parseItemRanges, parseKeys, matchKey } from '../../lib/cli/item-list';
import { renderTable } from '../../lib/cli/table';
import { toJsonValue } from '../../lib/cli/json-output';
import { formatAgo, truncate } from '../../lib/cli/format';
import { exitCodeOf, ExitCode } from '../../lib/cli/exit-codes';
import { UsageError, JobNotFoundError } from '../../lib/cli/cli-errors';
import { progressBar, percentText } from '../../lib/util/progress-bar';
import { IndexProgress } from '../../lib/progress/index-progress';
import { KeyProgress } from '../../lib/progress/key-progress';
import { newDoc, resetItems } from '../../lib/state/checkpoint-doc';
import { decodeCheckpoint, encodeFull } from '../../lib/state/checkpoint-codec';
import { BackendError, CheckpointCorruptError, JobLockedError, InvalidOptionsError } from '../../lib/index';

describe('parseArgs', () => {
  it('takes options before or after the command, as --opt value or --opt=value', () => {
    expect(parseArgs(['--dir', 'x', 'show', 'job', '--json'])).toEqual({ command: 'show', job: 'job', backend: { dir: 'x' }, json: true, items: null, keys: null, failed: false });
    expect(parseArgs(['reset', 'job', '--items=1,5-9', '--dir=/s'])).toMatchObject({ command: 'reset', job: 'job', items: '1,5-9', backend: { dir: '/s' } });
    expect(parseArgs(['list'])).toMatchObject({ command: 'list', job: null, backend: {} });
    expect(parseArgs(['show', '--', '--odd-name'])).toMatchObject({ job: '--odd-name' });
    expect(parseArgs(['list', '--sqlite', 'db.sqlite'])).toMatchObject({ backend: { sqlite: 'db.sqlite' } });
  });

  it('help and version', () => {
    expect(parseArgs(['help'])).toMatchObject({ command: 'help', job: null });
    expect(parseArgs(['help', 'reset'])).toMatchObject({ command: 'help', job: 'reset' });
    expect(parseArgs(['show', '--help'])).toMatchObject({ command: 'help', job: 'show' });
    expect(parseArgs(['-h'])).toMatchObject({ command: 'help', job: null });
    expect(parseArgs(['-V'])).toMatchObject({ command: 'version' });
  });

  it.each([
    [[], 'no command given'],
    [['lsit'], "unknown command 'lsit'"],
    [['list', '-x'], 'unknown option -x'],
    [['show'], 'show needs a job name'],
    [['show', 'a', 'b'], "unexpected argument 'b' after show a"],
    [['list', '--dir'], '--dir needs a value'],
    [['list', '--dir', '--json'], '--dir needs a value'],
    [['list', '--dir='], '--dir needs a non-empty value'],
    [['list', '--dir', 'a', '--dir', 'b'], '--dir is given twice'],
    [['list', '--json=yes'], '--json takes no value'],
    [['list', '--sqlite', 'f', '--mysql', 'u'], '--sqlite and --mysql cannot be combined'],
    [['reset', 'j'], 'reset needs --items LIST'],
    [['reset', 'j', '--items', '1', '--keys', 'a'], 'reset takes one of --items, --keys and --failed'],
    [['show', 'j', '--items', '1'], '--items belongs to the reset command'],
    [['help', 'nope'], "unknown command 'nope'"],
  ])('%j is a usage error: %s', (argv, message) => {
    let error: unknown;
    try {
      parseArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(message);
    expect(exitCodeOf(error)).toBe(ExitCode.USAGE);
  });
});

describe('item lists', () => {
  it('parses indices and ranges, sorted and merged', () => {
    expect(parseItemRanges('1,5-9')).toEqual([[1, 1], [5, 9]]);
    expect(parseItemRanges(' 9 , 3-4,5, 0 - 1 ')).toEqual([[0, 1], [3, 5], [9, 9]]);
    expect(parseItemRanges('5-9,7-12,13')).toEqual([[5, 13]]);
  });

  it.each(['', 'a', '1,', '-1', '3-1', '1.5', '1-2-3', '99999999999999999999'])('refuses %j', (text) => {
    expect(() => parseItemRanges(text)).toThrow(UsageError);
  });

  it('parses keys as text or as a JSON array, and matches numeric keys spelled as text', () => {
    expect(parseKeys('u1, u2')).toEqual({ values: ['u1', 'u2'], exact: false });
    expect(parseKeys('["a,b", 42]')).toEqual({ values: ['a,b', 42], exact: true });
    expect(() => parseKeys('[1,')).toThrow(UsageError);
    expect(() => parseKeys('[{}]')).toThrow(UsageError);
    expect(() => parseKeys('a,,b')).toThrow(UsageError);
    const stored = new Set<string | number>([42, '7']);
    expect(matchKey('42', false, stored)).toBe(42);
    expect(matchKey('7', false, stored)).toBe('7');
    expect(matchKey('42', true, stored)).toBe('42');
    expect(matchKey('x', false, stored)).toBe('x');
  });
});

describe('resetItems (the document change behind `reset`)', () => {
  it('marks indices not done below and above the watermark, keeps the rest exact, drops their results', () => {
    const doc = newDoc('j', null);
    doc.totalItems = 20;
    for (let i = 0; i < 10; i++) doc.progress.markDone(i);
    doc.progress.markDone(12);
    doc.progress.markDone(15);
    doc.complete = true;
    doc.results.set('3', '[1]');
    doc.results.set('4', '[2]');
    const out = resetItems(doc, { ranges: [[3, 3], [11, 12]] }, 1234);
    expect(out).toEqual({ reset: 2, named: 3 });
    expect([...doc.progress.indices()]).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9, 15]);
    expect([...doc.results.keys()]).toEqual(['4']);
    expect(doc.complete).toBe(false);
    expect(doc.updatedAt).toBe(1234);
    // what the engine will read back, through the codec
    const again = decodeCheckpoint(encodeFull(doc));
    expect([...again.progress.indices()]).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9, 15]);
    expect(again.progress.nextUndone(0)).toBe(3);
  });

  it('IndexProgress.markUndone counts only what was done, and the watermark catches up when items are redone', () => {
    const p = new IndexProgress();
    for (let i = 0; i < 100; i++) p.markDone(i);
    expect(p.markUndone(50, 200)).toBe(50);
    expect(p.size).toBe(50);
    expect(p.markUndone(10, 10)).toBe(1);
    expect(p.watermark).toBe(10);
    expect(p.aboveWatermark).toBe(39);
    expect(p.markUndone(10, 10)).toBe(0);
    p.markDone(10);
    expect(p.watermark).toBe(50);
    expect(p.aboveWatermark).toBe(0);
  });

  it('keys: marks the named keys not done', () => {
    const doc = newDoc('k', new KeyProgress());
    doc.keys!.markDone('a');
    doc.keys!.markDone(2);
    doc.results.set('"a"', '[1]');
    expect(resetItems(doc, { keys: ['a', 'zz'] }, 1)).toEqual({ reset: 1, named: 2 });
    expect([...doc.keys!.keys]).toEqual([2]);
    expect(doc.results.size).toBe(0);
  });

  it('changes nothing when none of the items was done', () => {
    const doc = newDoc('j', null);
    doc.complete = true;
    doc.updatedAt = 5;
    expect(resetItems(doc, { ranges: [[0, 9]] }, 99)).toEqual({ reset: 0, named: 10 });
    expect(doc.complete).toBe(true);
    expect(doc.updatedAt).toBe(5);
  });
});

describe('rendering', () => {
  it('progress bars in eighths of a cell, an unknown total, percentages that never round to done', () => {
    expect(progressBar(0, 10)).toBe('[░░░░░░░░░░]');
    expect(progressBar(1, 10)).toBe('[██████████]');
    expect(progressBar(0.5, 10)).toBe('[█████░░░░░]');
    expect(progressBar(0.466, 20)).toBe('[█████████▎░░░░░░░░░░]');
    expect(progressBar(2, 4)).toBe('[████]');
    expect(progressBar(null, 5)).toBe('[░░?░░]');
    for (let f = 0; f <= 1; f += 0.013) expect([...progressBar(f, 17)]).toHaveLength(19);
    expect(percentText(0.999)).toBe('99%');
    expect(percentText(0.001)).toBe('1%');
    expect(percentText(0)).toBe('0%');
    expect(percentText(1)).toBe('100%');
    expect(percentText(null)).toBe('?');
  });

  it('tables: aligned columns, numbers right, the shrinkable column cut to fit a terminal', () => {
    const cols = [{ title: 'JOB' }, { title: 'N', right: true }, { title: 'NOTE', shrink: true }];
    const rows = [['a', '1', 'short'], ['longer-name', '100', 'a rather long note that will not fit']];
    expect(renderTable(cols, rows)).toBe(
      ['JOB            N  NOTE', 'a              1  short', 'longer-name  100  a rather long note that will not fit', ''].join('\n'),
    );
    const fit = renderTable(cols, rows, 30).split('\n');
    expect(fit[2]).toBe('longer-name  100  a rather lo…');
    expect(fit.every((l) => l.length <= 30)).toBe(true);
  });

  it('relative times and truncation', () => {
    const now = new Date(1_000_000_000_000);
    const ago = (ms: number) => formatAgo(new Date(now.getTime() - ms), now);
    expect([ago(0), ago(30_000), ago(5 * 60_000), ago(3 * 3600_000), ago(3 * 86400_000), ago(-60_000)]).toEqual([
      'just now', '30s ago', '5m ago', '3h ago', '3d ago', 'in the future',
    ]);
    expect(truncate('line one\n   line two', 100)).toBe('line one line two');
    expect(truncate('abcdef', 4)).toBe('abc…');
  });

  it('JSON-safe values for --json: Map, Set, Date, BigInt, typed arrays, cycles', () => {
    const cyc: Record<string, unknown> = { a: 1 };
    cyc.self = cyc;
    expect(toJsonValue({ m: new Map([['k', 1]]), s: new Set([1, 2]), d: new Date(0), b: 5n, t: new Uint8Array([1, 2]), u: undefined, n: NaN, cyc, shared: [cyc, cyc] })).toEqual({
      m: { $map: [['k', 1]] },
      s: [1, 2],
      d: '1970-01-01T00:00:00.000Z',
      b: '5',
      t: [1, 2],
      u: null,
      n: 'NaN',
      cyc: { a: 1, self: '[Circular]' },
      shared: [{ a: 1, self: '[Circular]' }, { a: 1, self: '[Circular]' }],
    });
  });
});

describe('exit codes', () => {
  it('map each kind of error to its documented code', () => {
    expect(exitCodeOf(new JobNotFoundError('j', 'here'))).toBe(1);
    expect(exitCodeOf(new UsageError('u'))).toBe(2);
    expect(exitCodeOf(new InvalidOptionsError('dir', 'bad'))).toBe(2);
    expect(exitCodeOf(new CheckpointCorruptError('j', null, 'x'))).toBe(3);
    expect(exitCodeOf(new BackendError('down'))).toBe(4);
    expect(exitCodeOf(new JobLockedError('j', null))).toBe(5);
    expect(exitCodeOf(new TypeError('bug'))).toBe(70);
  });
});
