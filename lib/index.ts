/**
 * safe-state: resumable batch jobs for TypeScript. Decorate the method that loops over your items
 * with {@link SafeState}; when the process dies, rerun the same command and it continues where it
 * stopped.
 *
 * @example
 * ```ts
 * import { SafeState } from 'safe-state';
 *
 * class WelcomeEmails {
 *   constructor(private mailer: Mailer) {}
 *   @SafeState({ name: 'welcome-emails', verbose: true })
 *   async run(users: User[]) {
 *     for (const user of users) await this.mailer.send(user.email, 'Welcome!');
 *   }
 * }
 * await new WelcomeEmails(mailer).run(users);   // crash at 6,432 → rerun → resumes at 6,432
 * ```
 *
 * @packageDocumentation
 */
export { SafeState, type AsyncMethod, type MethodDecorator } from './decorators/safe-state';
export { safeState } from './decorators/safe-state-fn';
export { JOB_METADATA_KEY, type JobMetadata } from './decorators/metadata';
export type { SafeStateOptions, SafeStateLogger } from './engine/options';
export { checkpoint, resumeState, resumeFrozenState, resumeResults, record } from './engine/job-context';
export { Idempotent, IDEMPOTENT_METADATA_KEY, type IdempotentMetadata, type InferredFromMethod } from './decorators/idempotent';
export { idempotent } from './decorators/idempotent-fn';
export type { IdempotentOptions, IdempotentCheck, Falsy } from './idempotency/idempotent-options';
export { IdempotencyCache, type IdempotencyCacheOptions } from './idempotency/idempotency-cache';
export { skipIfExists } from './idempotency/skip-if-exists';
export { concurrently } from './engine/concurrently';
export { currentSignal } from './policy/current-signal';
export type { RetryOptions, RetryAttempt } from './policy/retry-options';
export type { JobHandle } from './engine/job-handle';
export { Checkpoint, type CompletedIndices, type FailedItems } from './engine/checkpoint';
export type { FailedItem } from './state/failed-items';
export type { FailureInfo } from './state/checkpoint-doc';
export type { ItemKey } from './progress/key-progress';
export { SAFE_STATE_CHANNELS } from './observe/channels';
export type {
  JobMessage, ItemMessage, ProgressCounts, JobStartMessage, ItemDoneMessage, ItemFailedMessage, ItemRetryMessage, SaveMessage, JobEndMessage,
} from './observe/messages';

export { registerReconnector, unregisterReconnector, listReconnectors } from './reconnect/registry';
export type { ReconnectorOptions, ReconnectorInfo } from './reconnect/reconnector';
export type { LiveDescriptor } from './reconnect/hooks';
export {
  registerCredentials, resolveCredentials, type CredentialsRequest, type Credentials, type CredentialsResolver, type CredentialsMatcher,
} from './reconnect/credentials';
export { SERIALIZATION_LIMITS } from './state/limits';
export { SECRET_ENV } from './state/keyring';

export { StateBackend, type Durability, type WriteOptions } from './backends/state-backend';
export type { BackendLock, LockHolder } from './backends/lock';
export type { SharedChunkStore, SharedJobLayout, SharedJobRecord, SharedJobStatus, ChunkClaim, ClaimedChunk } from './backends/shared-chunks';
export { MemoryBackend } from './backends/memory';
export { withBackend } from './config/scoped-backend';
export { configure, type SafeStateDefaults } from './config/configure';
export { FileBackend, type FileBackendOptions } from './backends/file/file-backend';
export { RedisBackend } from './backends/redis/redis-backend';
export type { RedisBackendOptions, RedisUrlOptions } from './backends/redis/redis-options';
export type { RedisClientLike } from './backends/redis/redis-client';
export { SqlBackend } from './backends/sql/sql-backend';
export type { SqlBackendOptions, SqlDialect } from './backends/sql/sql-options';
export type { SqlConnection, BetterSqlite3DatabaseLike, Mysql2ConnectionLike, PgConnectionLike, KnexLike } from './backends/sql/sql-connection';

export { transaction } from './transaction/run-transaction';
export { Transaction, type TransactionHandle, type TransactionState } from './transaction/transaction';
export type { TransactionOptions } from './transaction/options';
export { registerTransactionAdapter } from './transaction/adapter-registry';
export type { TransactionAdapter, AdapterTransaction, BeginContext, TwoPhaseSupport } from './transaction/adapter';
export { recoverTransactions, type RecoveryOptions, type RecoveryReport, type RecoveredBranch, type SkippedBranch } from './transaction/recovery';
export { FileDecisionLog, type DecisionLog, type CommitDecision } from './transaction/decision-log';

export { SafeStateError } from './errors/safe-state-error';
export { InvalidOptionsError } from './errors/invalid-options-error';
export { JobLockedError } from './errors/job-locked-error';
export { CheckpointCorruptError } from './errors/checkpoint-corrupt-error';
export { InputChangedError } from './errors/input-changed-error';
export { UnserializableStateError } from './errors/unserializable-state-error';
export { ReconnectError } from './errors/reconnect-error';
export { PartialCommitError } from './errors/partial-commit-error';
export { BackendError } from './errors/backend-error';
export { NoActiveJobError } from './errors/no-active-job-error';
export { JobFailuresError } from './errors/job-failures-error';
