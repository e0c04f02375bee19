/**
 * Which deliveries a source reader may acknowledge when, and (with `exactlyOnce`) which
 * message ids it has already emitted. Pure bookkeeping, no I/O: the reader feeds it and
 * sends the acks it returns.
 *
 * Deliveries emitted since the last snapshot are in the open bucket; a snapshot closes it
 * under the checkpoint's id. When a checkpoint completes, the buckets up to it are acked.
 * As Flink's MessageAcknowledgingSourceBase, the ids of buckets not yet acked are the
 * checkpointed state, so a restored reader drops redeliveries of messages whose effects
 * the restored checkpoint already holds. Unlike Flink, the ids of the last acked bucket are
 * kept one checkpoint longer: an ack is fire-and-forget, and one lost with its connection
 * (a killed TaskManager) makes the broker redeliver messages of a completed checkpoint.
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

export class AckTracker {
  #buckets: Bucket[] = [{ checkpointId: undefined, acked: false, deliveries: [], ids: [] }]
  readonly #owner = new Map<string, Bucket>()

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
    this.#buckets.push({ checkpointId: undefined, acked: false, deliveries: [], ids: [] })
    return [...this.#owner.keys()]
  }

  /** Ids restored from a checkpoint: their messages' effects are in it, so redeliveries are acked and dropped. */
  restore (ids: Iterable<string>): void {
    const restored: Bucket = { checkpointId: 0, acked: true, deliveries: [], ids: [] }
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
   * before the newest acked one.
   */
  complete (checkpointId: number): Delivery[] {
    const out: Delivery[] = []
    let newestAcked = -1
    for (let i = 0; i < this.#buckets.length; i++) {
      const b = this.#buckets[i]!
      if (b.checkpointId === undefined || b.checkpointId > checkpointId) break
      if (!b.acked) {
        b.acked = true
        for (const d of b.deliveries) out.push(d)
        b.deliveries.length = 0
      }
      newestAcked = i
    }
    if (newestAcked > 0) {
      for (const b of this.#buckets.slice(0, newestAcked)) {
        for (const id of b.ids) if (this.#owner.get(id) === b) this.#owner.delete(id)
      }
      this.#buckets = this.#buckets.slice(newestAcked)
    }
    return out
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
