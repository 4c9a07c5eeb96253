import * as fs from 'node:fs';
import * as path from 'node:path';
import { Idempotent, skipIfExists } from '../../lib/index';
import { tempDir } from '../helpers';

describe('skipIfExists', () => {
  it('answers false for a missing file', () => {
    expect(skipIfExists(path.join(tempDir(), 'nope.png'))).toBe(false);
  });

  it('answers true for a non-empty file and leaves it alone', () => {
    const f = path.join(tempDir(), 'done.png');
    fs.writeFileSync(f, 'x');
    expect(skipIfExists(f)).toBe(true);
    expect(fs.readFileSync(f, 'utf8')).toBe('x');
  });

  it('takes a zero-byte file for a partial write: removes it and answers false', () => {
    const f = path.join(tempDir(), 'partial.png');
    fs.writeFileSync(f, '');
    expect(skipIfExists(f)).toBe(false);
    expect(fs.existsSync(f)).toBe(false);
  });

  it('is synchronous (usable as `if (skipIfExists(p)) continue`)', () => {
    const f = path.join(tempDir(), 'sync.png');
    expect(skipIfExists(f)).not.toBeInstanceOf(Promise);
  });

  it('counts a directory as existing and a dangling symbolic link as missing', () => {
    const dir = tempDir();
    expect(skipIfExists(dir)).toBe(true);
    const link = path.join(dir, 'dangling');
    fs.symlinkSync(path.join(dir, 'gone'), link);
    expect(skipIfExists(link)).toBe(false);
    expect(skipIfExists(path.join(dir, 'no-dir', 'file'))).toBe(false);
  });

  it('throws errors other than "not found"', () => {
    const dir = tempDir();
    const f = path.join(dir, 'file');
    fs.writeFileSync(f, 'x');
    // a path through a regular file: ENOTDIR counts as missing; a NUL in the path is an error
    expect(skipIfExists(path.join(f, 'child'))).toBe(false);
    expect(() => skipIfExists(path.join(dir, 'a\0b'))).toThrow();
  });

  it('serves as the check of @Idempotent: an existing output skips the method', async () => {
    const dir = tempDir();
    const downloads: string[] = [];
    class Downloader {
      @Idempotent((url: string, out: string) => skipIfExists(out))
      async download(url: string, out: string): Promise<string> {
        downloads.push(url);
        fs.writeFileSync(out, `content of ${url}`);
        return 'downloaded';
      }
    }
    const d = new Downloader();
    const out = path.join(dir, 'a.png');
    expect(await d.download('http://x/a.png', out)).toBe('downloaded');
    expect(await d.download('http://x/a.png', out)).toBe(true); // the check's answer
    fs.writeFileSync(out, ''); // a torn write from a crash
    expect(await d.download('http://x/a.png', out)).toBe('downloaded');
    expect(downloads).toEqual(['http://x/a.png', 'http://x/a.png']);
  });
});
