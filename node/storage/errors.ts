/**
 * Errors of a peer's local store. Match on `err.name`.
 */

import { errorMessage } from '../../protocol/error-message.ts'

/** The data directory cannot be opened (missing permissions, another process holds it …). */
export class StoreOpenError extends Error {
  constructor (dir: string, options?: ErrorOptions) {
    super(`Cannot open the store in ${dir}: ${openProblem(options?.cause)}`, options)
    this.name = 'StoreOpenError'
  }
}

/** Why RocksDB refused to open a store, in the user's words where it is a known case. */
function openProblem (cause: unknown): string {
  const message = errorMessage(cause)
  // RocksDB: "IO error: lock hold by current process" / "While lock file: …/LOCK: Resource temporarily unavailable"
  if (/\block\b/i.test(message)) return 'another process uses it (a peer or an embedded run on the same data dir)'
  return message
}

/** A stored record does not decode: the store is corrupt or from an incompatible version. */
export class CorruptRecordError extends Error {
  constructor (what: string, options?: ErrorOptions) {
    super(`Corrupt record in the store: ${what}`, options)
    this.name = 'CorruptRecordError'
  }
}

/**
 * The peer's Raft state (term, vote, log) cannot be trusted: the store's write-ahead log
 * fails its checksums, or the stored log does not hold together. `detail` says what is
 * damaged. The peer must not start as a voter on it (`meshflow node --repair` drops the
 * Raft state and rejoins as a fresh learner).
 */
export class RaftStateDamagedError extends Error {
  readonly dataDir: string
  readonly detail: string
  constructor (dataDir: string, detail: string, options?: ErrorOptions) {
    super(`The Raft state in ${dataDir} is damaged (${detail})`, options)
    this.name = 'RaftStateDamagedError'
    this.dataDir = dataDir
    this.detail = detail
  }
}
