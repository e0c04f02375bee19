/**
 * Replication of blocks over the mesh (DESIGN §6, issue 5 item 1): every block is stored on
 * R members (default `min(3, members)`), chosen by rendezvous hashing (rendezvous.ts) over
 * the members the caller reports live. `put` resolves only once R copies are durable,
 * counting this peer's own when it is one of the holders; a holder that fails is replaced
 * by the next member in the CID's rendezvous order, so a put succeeds as long as R members
 * can take the block. `repair` brings blocks back to R copies after members left: it asks
 * the current holders which lack a block and copies it to them, from this peer's store or
 * from a peer that has it.
 *
 * Which peers are live is the caller's: the Peer wires this to the mesh membership. When
 * to run `repair` is the `ReplicationMaintainer`'s (replication-maintainer.ts).
 *
 * @example
 * const replicator = new BlockReplicator({ selfId, blocks, client, members: () => mesh.liveMembers() })
 * const cid = await replicator.put(bytes, { signal })   // on 3 peers when it resolves
 * const summary = await replicator.repair(blocks.cids(), { signal })
 * // { checked: 120, copied: 37, failed: 0, errors: [] }
 */
import { logger, type Logger } from '@libp2p/logger'
import { MAX_BLOCK_BYTES } from '../../protocol/constants.ts'
import { cidOf, type BlockCid } from '../../protocol/cid.ts'
import type { BlockClient } from './block-client.ts'
import { DEFAULT_BLOCK_REQUEST_TIMEOUT_MS, DEFAULT_MAX_CONCURRENT_REQUESTS } from './block-constants.ts'
import { BlockTooLargeError, ReplicationError, type ReplicaFailure } from './block-errors.ts'
import type { BlockStore } from './block-store.ts'
import { rendezvousOrder } from './rendezvous.ts'
import { errorMessage } from '../../protocol/error-message.ts'

/** Copies of each block when `replicas` is not given (fewer when there are fewer members). */
export const DEFAULT_REPLICAS = 3

/** What a BlockReplicator uses. */
export interface BlockReplicatorComponents {
  /** This peer's id, as it appears in `members`. */
  readonly selfId: string
  readonly blocks: BlockStore
  readonly client: BlockClient
  /** The live members (peer ids, this peer included when it holds blocks), asked on every call. */
  readonly members: () => readonly string[]
}

/** Options of a BlockReplicator. */
export interface BlockReplicatorInit {
  /** Copies of each block (default `min(3, members)`); a put fails when fewer members can take it. */
  readonly replicas?: number
  /** How long one peer may take to answer one request (default 10 s). */
  readonly requestTimeoutMs?: number
  /** Blocks `repair` works on at once (default 8). */
  readonly repairConcurrency?: number
  /** Defaults to `logger('meshflow:storage:replication')`. */
  readonly log?: Logger
}

/** Options of `put` and `repair`. */
export interface ReplicationOptions {
  readonly signal?: AbortSignal
}


/** What a `repair` did. */
export interface RepairSummary {
  /** Blocks looked at. */
  readonly checked: number
  /** Copies written to holders that lacked them. */
  readonly copied: number
  /** Blocks still on fewer than R members afterwards. */
  readonly failed: number
  /** One per failed block, naming it and the peers that failed. */
  readonly errors: readonly ReplicationError[]
}

/** Stores blocks on R peers and repairs them (see the module comment). */
export { ReplicationError, type ReplicaFailure }

export class BlockReplicator {
  readonly #selfId: string
  readonly #blocks: BlockStore
  readonly #client: BlockClient
  readonly #members: () => readonly string[]
  readonly #replicas: number | undefined
  readonly #timeoutMs: number
  readonly #repairConcurrency: number
  readonly #log: Logger

  constructor (components: BlockReplicatorComponents, init: BlockReplicatorInit = {}) {
    this.#selfId = components.selfId
    this.#blocks = components.blocks
    this.#client = components.client
    this.#members = components.members
    this.#replicas = init.replicas
    this.#timeoutMs = init.requestTimeoutMs ?? DEFAULT_BLOCK_REQUEST_TIMEOUT_MS
    this.#repairConcurrency = Math.max(1, init.repairConcurrency ?? DEFAULT_MAX_CONCURRENT_REQUESTS)
    this.#log = init.log ?? logger('meshflow:storage:replication')
  }

  /** The copies wanted of each block with these members. */
  replicasFor (members: readonly string[]): number {
    return this.#replicas ?? Math.min(DEFAULT_REPLICAS, new Set(members).size)
  }

  /**
   * Stores a block on R members and resolves with its CID once R copies are durable. The
   * rendezvous holders are written in parallel; one that fails is replaced by the next
   * member in the CID's rendezvous order.
   *
   * @throws {BlockTooLargeError} when `bytes` is over 1 MiB (nothing is sent)
   * @throws {ReplicationError} naming the CID, the copies made and each peer that failed, when members run out first
   * @throws `signal.reason` when the signal aborts
   */
  async put (bytes: Uint8Array, options: ReplicationOptions = {}): Promise<BlockCid> {
    const { signal } = options
    signal?.throwIfAborted()
    if (bytes.byteLength > MAX_BLOCK_BYTES) throw new BlockTooLargeError(bytes.byteLength, MAX_BLOCK_BYTES)
    const cid = cidOf(bytes)
    const shown = cid.toString()
    const members = this.#members()
    const required = this.replicasFor(members)
    const candidates = rendezvousOrder(shown, members)
    const failures: ReplicaFailure[] = []
    const copies = required > 0 ? await this.#spread(cid, bytes, candidates, required, failures, signal) : 0
    if (copies < required || required <= 0) throw new ReplicationError(shown, copies, Math.max(required, 1), failures)
    return cid
  }

  /**
   * Brings each block back to R copies on its holders over the current members: asks the
   * holders which lack it (`has`) and copies it to them, from this peer's store or fetched
   * from a member that holds it; a holder that cannot be reached or fails is replaced by
   * the next member in rendezvous order. Works on a few blocks at once; a block that cannot
   * be repaired is counted and reported, not thrown.
   *
   * @throws `signal.reason` when the signal aborts
   */
  async repair (cids: Iterable<BlockCid> | AsyncIterable<BlockCid>, options: ReplicationOptions = {}): Promise<RepairSummary> {
    const { signal } = options
    signal?.throwIfAborted()
    const members = this.#members()
    const required = this.replicasFor(members)
    const iterator = Symbol.asyncIterator in cids ? cids[Symbol.asyncIterator]() : toAsync(cids)
    let checked = 0
    let copied = 0
    const errors: ReplicationError[] = []
    const worker = async (): Promise<void> => {
      for (;;) {
        signal?.throwIfAborted()
        const next = await iterator.next()
        if (next.done === true) return
        checked++
        try {
          // read `copied` only after the await: the workers share it
          const made = await this.#repairOne(next.value, members, required, signal)
          copied += made
        } catch (err) {
          if (signal?.aborted === true) throw signal.reason
          const error = err instanceof ReplicationError
            ? err
            : new ReplicationError(next.value.toString(), 0, required, [{ peer: this.#selfId, reason: String((err as Error | undefined)?.message ?? err) }], { cause: err })
          this.#log('repair of block %s failed: %s', error.cid, error.message)
          errors.push(error)
        }
      }
    }
    try {
      await Promise.all(Array.from({ length: this.#repairConcurrency }, worker))
    } finally {
      await iterator.return?.()
    }
    return { checked, copied, failed: errors.length, errors }
  }

  /** Repairs one block; resolves with the copies written. */
  async #repairOne (cid: BlockCid, members: readonly string[], required: number, signal: AbortSignal | undefined): Promise<number> {
    const shown = cid.toString()
    if (required <= 0) throw new ReplicationError(shown, 0, 1, [])
    const order = rendezvousOrder(shown, members)
    const holders = order.slice(0, required)
    const failures: ReplicaFailure[] = []
    const present = await Promise.all(holders.map(async peer => {
      try {
        return await this.#has(peer, cid, signal)
      } catch (err) {
        if (signal?.aborted === true) throw signal.reason
        failures.push({ peer, reason: errorMessage(err) })
        return undefined
      }
    }))
    const copies = present.filter(p => p === true).length
    if (copies >= required) return 0
    const bytes = await this.#find(cid, [...holders.filter((_, i) => present[i] === true), ...order], failures, signal)
    if (bytes === undefined) throw new ReplicationError(shown, copies, required, failures)
    // the holders that lack it first, then the members after the holders; unreachable holders are skipped
    const candidates = [...holders.filter((_, i) => present[i] === false), ...order.slice(required)]
    const made = await this.#spread(cid, bytes, candidates, required - copies, failures, signal)
    if (copies + made < required) throw new ReplicationError(shown, copies + made, required, failures)
    this.#log('block %s: %d copies made, now on %d peers', shown, made, copies + made)
    return made
  }

  /**
   * Writes the block to `needed` of `candidates`, in that order, `needed` at a time: each
   * lane takes the next candidate until one write succeeds. Resolves with the copies made;
   * failures are added to `failures`.
   */
  async #spread (cid: BlockCid, bytes: Uint8Array, candidates: readonly string[], needed: number, failures: ReplicaFailure[], signal: AbortSignal | undefined): Promise<number> {
    let next = 0
    let made = 0
    const lane = async (): Promise<void> => {
      while (next < candidates.length) {
        signal?.throwIfAborted()
        const peer = candidates[next++]!
        try {
          await this.#store(peer, cid, bytes, signal)
          made++
          return
        } catch (err) {
          if (signal?.aborted === true) throw signal.reason
          this.#log('storing block %s on %s failed, trying the next member: %e', cid, peer, err)
          failures.push({ peer, reason: errorMessage(err) })
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(needed, candidates.length) }, lane))
    return made
  }

  async #store (peer: string, cid: BlockCid, bytes: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
    if (peer === this.#selfId) {
      await this.#blocks.put(bytes, signal === undefined ? {} : { signal })
      return
    }
    await this.#client.put(peer, bytes, { cid, signal: this.#requestSignal(signal) })
  }

  async #has (peer: string, cid: BlockCid, signal: AbortSignal | undefined): Promise<boolean> {
    if (peer === this.#selfId) return await this.#blocks.has(cid, signal === undefined ? {} : { signal })
    const [present] = await this.#client.has(peer, [cid], { signal: this.#requestSignal(signal) })
    return present === true
  }

  /**
   * The block's bytes, verified: from this peer's store, else from the first of `from` that
   * has an intact copy. Not stored here: this peer may not be a holder.
   */
  async #find (cid: BlockCid, from: readonly string[], failures: ReplicaFailure[], signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    try {
      const local = await this.#blocks.get(cid, signal === undefined ? {} : { signal })
      if (local !== undefined) return local
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason
      failures.push({ peer: this.#selfId, reason: errorMessage(err) })
    }
    for (const peer of new Set(from)) {
      if (peer === this.#selfId) continue
      signal?.throwIfAborted()
      try {
        const data = await this.#client.get(peer, cid, { signal: this.#requestSignal(signal) })
        if (data !== undefined) return data
      } catch (err) {
        if (signal?.aborted === true) throw signal.reason
        failures.push({ peer, reason: errorMessage(err) })
      }
    }
    return undefined
  }

  #requestSignal (signal: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(this.#timeoutMs)
    return signal === undefined ? timeout : AbortSignal.any([signal, timeout])
  }
}

async function * toAsync<T> (items: Iterable<T>): AsyncGenerator<T, void, undefined> {
  yield * items
}
