import type { Durability } from '../state-backend';

/** A request to the blocking-save worker. @internal */
export interface BlockingRequest {
  id: number;
  op: 'save' | 'append' | 'close';
  jobName: string;
  data: string;
  durability: Durability;
}

/** The worker's answer to one request. @internal */
export interface BlockingAnswer {
  id: number;
  ok: boolean;
  /** `lost`: a `JobLockedError` of a run that held the lock and lost it */
  error?: { name: string; code: string | null; message: string; holder: Record<string, unknown> | null; lost: boolean };
}
