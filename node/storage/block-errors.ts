/**
 * Errors of the block store and the `/meshflow/blocks/1` protocol. Match on `err.name`: an
 * error from another copy of this module (or re-thrown across a worker) is not
 * `instanceof` these classes. Each names the block CID it is about and, where a remote peer
 * was involved, the peer.
 */

/**
 * A block's bytes do not hash to its CID: the copy in this peer's store (`peer` undefined)
 * or the copy another peer sent (`peer` set) is corrupt. Reading another copy can help.
 */
export class CorruptBlockError extends Error {
  /** The CID the bytes were read for. */
  readonly cid: string
  /** The peer that sent the bytes, or undefined for this peer's own store. */
  readonly peer: string | undefined

  constructor (cid: string, peer?: string, options?: ErrorOptions) {
    super(peer === undefined
      ? `Block ${cid} in the local store does not match its CID (corrupt on disk)`
      : `Block ${cid} from peer ${peer} does not match its CID`, options)
    this.name = 'CorruptBlockError'
    this.cid = cid
    this.peer = peer
  }
}

/** What asking one peer for a block came to. */
export interface BlockAttempt {
  readonly peer: string
  /** `not found`, `corrupt copy`, `timed out`, or the error's message. */
  readonly outcome: string
}

/**
 * No valid copy of a block was found: not in this peer's store and not on any of the
 * peers asked (each attempt says what that peer answered). With no peers asked, only the
 * local store was looked at.
 */
export class BlockNotFoundError extends Error {
  readonly cid: string
  /** The peers asked, in the order they were asked. */
  readonly peers: readonly string[]
  readonly attempts: readonly BlockAttempt[]

  constructor (cid: string, attempts: readonly BlockAttempt[] = [], options?: ErrorOptions) {
    super(attempts.length === 0
      ? `Block ${cid} is not in the local store`
      : `Block ${cid} was not found on any of the ${attempts.length} peers asked: ${attempts.map(a => `${a.peer} (${a.outcome})`).join(', ')}`, options)
    this.name = 'BlockNotFoundError'
    this.cid = cid
    this.attempts = attempts
    this.peers = attempts.map(a => a.peer)
  }
}

/** A block (or a value read with a size limit) is larger than allowed. */
export class BlockTooLargeError extends Error {
  readonly size: number
  readonly maxBytes: number

  constructor (size: number, maxBytes: number, message = `Block of ${size} bytes exceeds the limit of ${maxBytes} bytes (store larger values with putLarge)`, options?: ErrorOptions) {
    super(message, options)
    this.name = 'BlockTooLargeError'
    this.size = size
    this.maxBytes = maxBytes
  }
}

/**
 * A block read as a large value's manifest is not a valid manifest: not one at all (a
 * plain block's CID given to `getLarge`), or one whose sizes or nesting disagree. A retry
 * cannot help: the content under this CID is what it is.
 */
export class InvalidManifestError extends Error {
  readonly cid: string

  constructor (cid: string, problem: string, options?: ErrorOptions) {
    super(`Block ${cid} is not a valid meshflow manifest: ${problem}`, options)
    this.name = 'InvalidManifestError'
    this.cid = cid
  }
}

/**
 * A peer answered a block request with an error: it refused a put whose bytes do not match
 * the CID (`mismatch`), holds only a corrupt copy (`corrupt`), or failed (`unavailable`,
 * `internal`). `retriable` is the peer's hint whether asking again can help.
 */
export class BlockRejectedError extends Error {
  readonly cid: string
  readonly peer: string
  readonly code: string
  readonly retriable: boolean

  constructor (cid: string, peer: string, code: string, reason: string, retriable: boolean, options?: ErrorOptions) {
    super(`Peer ${peer} refused the request for block ${cid} (${code}): ${reason}`, options)
    this.name = 'BlockRejectedError'
    this.cid = cid
    this.peer = peer
    this.code = code
    this.retriable = retriable
  }
}

/** The block client or service is stopped, or the stream to a peer closed under a request. */
export class BlockStreamClosedError extends Error {
  readonly peer: string

  constructor (peer: string, reason = 'the stream closed', options?: ErrorOptions) {
    super(`Block stream to peer ${peer} closed: ${reason}`, options)
    this.name = 'BlockStreamClosedError'
    this.peer = peer
  }
}

/** What storing a block on one peer came to. */
export interface ReplicaFailure {
  readonly peer: string
  readonly reason: string
}

/**
 * A block could not be stored on R members: too few members, or too many of them failed
 * (each failure names the peer and why). A retry can help once peers come back or join.
 */
export class ReplicationError extends Error {
  readonly cid: string
  /** Durable copies made (or found, in a repair). */
  readonly copies: number
  /** Copies wanted. */
  readonly required: number
  readonly failures: readonly ReplicaFailure[]

  constructor (cid: string, copies: number, required: number, failures: readonly ReplicaFailure[], options?: ErrorOptions) {
    super(`Block ${cid} is on ${copies} of ${required} required peers` +
      (failures.length === 0 ? ': not enough members' : `; failed: ${failures.map(f => `${f.peer} (${f.reason})`).join(', ')}`), options)
    this.name = 'ReplicationError'
    this.cid = cid
    this.copies = copies
    this.required = required
    this.failures = failures
  }
}
