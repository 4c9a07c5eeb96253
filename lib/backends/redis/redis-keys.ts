/**
 * Key layout of {@link RedisBackend}: a job's checkpoint lives at `<prefix>job:{<name>}` and its
 * lock at `<prefix>lock:{<name>}` (beside them `<prefix>fence:{<name>}` and `<prefix>gen:{<name>}`,
 * see {@link JobKeys}), where `<name>` is the job name with `%`, `{`, `}`, control
 * characters and unpaired UTF-16 surrogates percent-escaped (`%25`, `%7B`, `%7D`, `%0A`, `%uD800`).
 * The escaping is reversible (listing recovers every name exactly) and keeps readable names readable;
 * the braces make all keys of a job one cluster hash slot, so the save script may touch them all.
 * @internal
 */

const ESCAPE_RE = /[%{}\x00-\x1f\x7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const UNESCAPE_RE = /%(u[0-9A-F]{4}|[0-9A-F]{2})/g;

/** The job name as it appears inside a key. @internal */
export function encodeJobName(name: string): string {
  return name.replace(ESCAPE_RE, (c) => {
    const code = c.charCodeAt(0);
    return code >= 0xd800 ? `%u${code.toString(16).toUpperCase()}` : `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
  });
}

/** Inverse of {@link encodeJobName}. @internal */
export function decodeJobName(encoded: string): string {
  return encoded.replace(UNESCAPE_RE, (_, hex: string) => String.fromCharCode(parseInt(hex[0] === 'u' ? hex.slice(1) : hex, 16)));
}

/**
 * The keys of one job: its checkpoint text, its lock, its fence counter (incremented by every lock
 * acquisition, never deleted, so a generation is never reused) and the generation of the run that
 * last wrote the checkpoint (deleted with the checkpoint). All share the `{name}` hash tag.
 * @internal
 */
export interface JobKeys {
  data: string;
  lock: string;
  fence: string;
  gen: string;
}

/** The keys of one prefix. @internal */
export class RedisKeys {
  /** keys of recent job names (a run writes its job's keys once per item) */
  private readonly recent = new Map<string, JobKeys>();

  constructor(readonly prefix: string) {}

  /** All keys of a job. */
  of(jobName: string): JobKeys {
    let k = this.recent.get(jobName);
    if (k === undefined) {
      if (this.recent.size >= 64) this.recent.clear();
      const e = encodeJobName(jobName);
      k = { data: `${this.prefix}job:{${e}}`, lock: `${this.prefix}lock:{${e}}`, fence: `${this.prefix}fence:{${e}}`, gen: `${this.prefix}gen:{${e}}` };
      this.recent.set(jobName, k);
    }
    return k;
  }

  /** Key of a job's checkpoint text. */
  data(jobName: string): string {
    return this.of(jobName).data;
  }

  /** Key of a job's lock. */
  lock(jobName: string): string {
    return this.of(jobName).lock;
  }

  /** `SCAN MATCH` pattern of every checkpoint key (the prefix holds no glob characters). */
  get dataPattern(): string {
    return `${this.prefix}job:{*}`;
  }

  /** The job name of a checkpoint key, or null for a key of another shape. */
  jobOf(key: string): string | null {
    const head = `${this.prefix}job:{`;
    if (!key.startsWith(head) || !key.endsWith('}')) return null;
    return decodeJobName(key.slice(head.length, -1));
  }
}
