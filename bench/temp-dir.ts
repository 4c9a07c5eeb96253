import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The benchmark's scratch directory: one private directory (under `os.tmpdir()` unless a parent is
 * given), removed at the end of the run, also when the run fails or is interrupted (SIGINT/SIGTERM).
 */
export class TempDir {
  readonly path: string;
  private removed = false;
  private readonly onExit = () => this.remove();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.remove();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };

  constructor(parent: string = os.tmpdir()) {
    this.path = fs.mkdtempSync(path.join(parent, 'safe-state-bench-'));
    process.on('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** A fresh sub-directory (created). */
  sub(name: string): string {
    const p = path.join(this.path, name);
    fs.mkdirSync(p, { recursive: true, mode: 0o700 });
    return p;
  }

  /** Removes the directory and everything in it (idempotent). */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    process.removeListener('exit', this.onExit);
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    fs.rmSync(this.path, { recursive: true, force: true });
  }
}
