/**
 * Which deliveries a source reader may acknowledge when, and (with `exactlyOnce`) which
 * message ids it has already emitted. Pure bookkeeping, no I/O: the reader feeds it and
 * sends the acks it returns.
 *
 * Deliveries emitted since the last snapshot are in the open bucket; a snapshot closes it
 * under the checkpoint's id. When a checkpoint completes, the buckets up to it are acked.
 * As Flink's MessageAcknowledgingSourceBase, the ids of buckets not yet acked are the
 * checkpointed state, so a restored reader drops redeliveries of messages whose effects
 * the restored checkpoint already holds. Unlike Flink, ids are kept for `retainMs` after
 * their bucket was acked (or restored), not dropped at the next completed checkpoint: the
 * broker requeues a lost consumer's messages only once it notices the connection is gone,
 * and a restored reader may complete a checkpoint before the redeliveries reach it (seen in
 * tests: a checkpoint 50 ms after a restart completed first, and the late redeliveries were
 * emitted again). An ack is fire-and-forget too: one lost with its connection (a killed
 * TaskManager) brings back messages of a completed checkpoint.
 */

/** A delivery on one channel: tags are only meaningful on the channel that gave them. */
export interface Delivery {
  /** Which channel (the reader counts them up on every reconnect). */
  readonly channel: number
  readonly tag: number
}

interface Bucket {
  /** The checkpoint that covers it; undefined while open. */
  checkpointId: number | undefined
  acked: boolean
  /** When it was acked (or restored), by `now()`. */
  ackedAt: number
  readonly deliveries: Delivery[]
  readonly ids: string[]
}

/** What became of a delivery taken by `take`. */
export type TakeResult =
  /** A new message: emit it; it is acked when its checkpoint completes. */
  | 'new'
  /** A redelivery of a message already emitted and acked: drop it and ack this delivery now. */
  | 'ack-now'
  /** A redelivery of a message emitted under a checkpoint not yet completed: drop it; it is acked with that checkpoint. */
  | 'held'

/** How long acked ids are kept, and the clock (injected in tests). */
export interface AckTrackerInit {
  /** How long ids of acked messages are still recognised as redeliveries. */
  readonly retainMs: number
  /** The clock (milliseconds). */
  readonly now?: () => number
}

/** The ack and id bookkeeping of one source reader (see the module comment). */
export class AckTracker {
  #buckets: Bucket[] = [openBucket()]
  readonly #owner = new Map<string, Bucket>()
  readonly #retainMs: number
  readonly #now: () => number

  constructor (init: AckTrackerInit) {
    this.#retainMs = init.retainMs
    this.#now = init.now ?? Date.now
  }

  /** Records a delivery taken from the queue, with its message id when ids are tracked. */
  take (delivery: Delivery, id?: string): TakeResult {
    if (id !== undefined) {
      const owner = this.#owner.get(id)
      if (owner !== undefined) {
        if (owner.acked) return 'ack-now'
        owner.deliveries.push(delivery)
        return 'held'
      }
    }
    const open = this.#buckets[this.#buckets.length - 1]!
    open.deliveries.push(delivery)
    if (id !== undefined) {
      open.ids.push(id)
      this.#owner.set(id, open)
    }
    return 'new'
  }

  /** Closes the open bucket under `checkpointId`; returns the ids the checkpoint must hold. */
  snapshot (checkpointId: number): string[] {
    const open = this.#buckets[this.#buckets.length - 1]!
    open.checkpointId = checkpointId
    this.#buckets.push(openBucket())
    this.#prune()
    return [...this.#owner.keys()]
  }

  /** Ids restored from a checkpoint: their messages' effects are in it, so redeliveries are acked and dropped. */
  restore (ids: Iterable<string>): void {
    const restored: Bucket = { checkpointId: 0, acked: true, ackedAt: this.#now(), deliveries: [], ids: [] }
    for (const id of ids) {
      if (this.#owner.has(id)) continue
      restored.ids.push(id)
      this.#owner.set(id, restored)
    }
    this.#buckets.unshift(restored)
  }

  /**
   * Checkpoint `checkpointId` completed: returns the deliveries to ack now (those of every
   * bucket closed under it or an earlier checkpoint), and forgets the ids of buckets acked
   * at least `retainMs` ago.
   */
  complete (checkpointId: number): Delivery[] {
    const out: Delivery[] = []
    const now = this.#now()
    for (const b of this.#buckets) {
      if (b.checkpointId === undefined || b.checkpointId > checkpointId) break
      if (b.acked) continue
      b.acked = true
      b.ackedAt = now
      for (const d of b.deliveries) out.push(d)
      b.deliveries.length = 0
    }
    this.#prune()
    return out
  }

  /** Forgets the leading buckets acked at least `retainMs` ago. */
  #prune (): void {
    const now = this.#now()
    let n = 0
    while (n < this.#buckets.length - 1) {
      const b = this.#buckets[n]!
      if (!b.acked || now - b.ackedAt < this.#retainMs) break
      for (const id of b.ids) if (this.#owner.get(id) === b) this.#owner.delete(id)
      n++
    }
    if (n > 0) this.#buckets = this.#buckets.slice(n)
  }

  /** The lowest tag on `channel` still waiting for a checkpoint (Infinity when none). */
  lowestPendingTag (channel: number): number {
    let min = Infinity
    for (const b of this.#buckets) {
      if (b.acked) continue
      for (const d of b.deliveries) if (d.channel === channel && d.tag < min) min = d.tag
    }
    return min
  }

  /** Forgets every delivery of a channel that is gone: the broker requeued those messages. */
  dropChannel (channel: number): void {
    for (const b of this.#buckets) {
      const kept = b.deliveries.filter(d => d.channel !== channel)
      b.deliveries.length = 0
      b.deliveries.push(...kept)
    }
  }

  /** Deliveries taken and not acked yet (all channels). */
  get unacked (): number {
    let n = 0
    for (const b of this.#buckets) if (!b.acked) n += b.deliveries.length
    return n
  }

  /** Ids tracked (the state size with `exactlyOnce`). */
  get trackedIds (): number { return this.#owner.size }
}

function openBucket (): Bucket {
  return { checkpointId: undefined, acked: false, ackedAt: 0, deliveries: [], ids: [] }
}
