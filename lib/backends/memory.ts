import { StateBackend } from './state-backend';

/**
 * Keeps checkpoints in this process's memory: for tests and short-lived workers. Supports the
 * synchronous and incremental hooks, so it keeps every guarantee a {@link FileBackend} keeps
 * except surviving the process.
 *
 * @example
 * ```ts
 * const backend = new MemoryBackend();
 * const run = safeState(async (xs: number[]) => { for (const x of xs) work(x); }, { name: 'demo', backend });
 * ```
 */
export class MemoryBackend extends StateBackend {
  private readonly data = new Map<string, string[]>();

  /** @inheritDoc */
  async load(jobName: string): Promise<string | null> {
    const parts = this.data.get(jobName);
    if (!parts) return null;
    const text = parts.join('');
    if (parts.length > 1) this.data.set(jobName, [text]);
    return text;
  }

  /** @inheritDoc */
  async save(jobName: string, data: string): Promise<void> {
    this.saveSync(jobName, data);
  }

  /** @inheritDoc */
  override saveSync(jobName: string, data: string): void {
    this.data.set(jobName, [String(data)]);
  }

  /** @inheritDoc */
  override async append(jobName: string, records: string): Promise<void> {
    this.appendSync(jobName, records);
  }

  /** @inheritDoc */
  override appendSync(jobName: string, records: string): void {
    const parts = this.data.get(jobName);
    if (parts) parts.push(records);
    else this.data.set(jobName, [records]);
  }

  /** @inheritDoc */
  async delete(jobName: string): Promise<void> {
    this.data.delete(jobName);
  }

  /** @inheritDoc */
  async exists(jobName: string): Promise<boolean> {
    return this.data.has(jobName);
  }

  /** @inheritDoc */
  override async list(): Promise<string[]> {
    return [...this.data.keys()];
  }
}
