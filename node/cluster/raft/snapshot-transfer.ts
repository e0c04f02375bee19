/**
 * The two ends of a chunked InstallSnapshot (Raft §7, sent in pieces as the paper's
 * `offset`/`done` fields describe), kept apart from `RaftCore` so that the core only
 * decides when a follower needs a snapshot.
 *
 * The leader sends at most `maxInFlight` chunks beyond what the follower acknowledged; the
 * follower accepts chunks in order only and answers each with how many bytes it holds, so
 * a lost or reordered chunk is resent from there (go-back-N). A follower that restarted
 * holds nothing and answers 0: the transfer starts over. A leader that hears no progress
 * for a few heartbeats resends from the follower's last answer.
 */
import type { Snapshot } from './types.ts'
import type { SnapshotMeta } from '../../../protocol/raft.ts'

/** One chunk to send: bytes `[offset, offset + data.length)` of the snapshot. */
export interface SnapshotChunk {
  readonly offset: number
  readonly data: Uint8Array
}

/** Heartbeats without progress after which the leader resends from the follower's last answer. */
export const STALLED_HEARTBEATS = 5

/** The leader's side of one transfer to one follower. */
export class SnapshotSender {
  readonly snapshot: Snapshot
  readonly chunkBytes: number
  readonly maxInFlight: number
  /** Next byte to send. */
  #sent = 0
  /** Highest byte count the follower acknowledged. */
  #acked = 0
  /** What the follower said last (lower than `#acked` after it restarted). */
  #reported = 0
  #stalled = 0
  /** A zero-byte snapshot still takes one (empty) chunk. */
  #sentEmpty = false

  constructor (snapshot: Snapshot, chunkBytes: number, maxInFlight: number) {
    this.snapshot = snapshot
    this.chunkBytes = Math.max(1, chunkBytes)
    this.maxInFlight = Math.max(1, maxInFlight)
  }

  get index (): number { return this.snapshot.meta.index }
  get size (): number { return this.snapshot.data.byteLength }
  /** Bytes the follower acknowledged (for diagnostics and tests). */
  get acked (): number { return this.#acked }

  /** The chunks that may go out now: up to the in-flight window past the acknowledged bytes. */
  next (): SnapshotChunk[] {
    const data = this.snapshot.data
    if (data.byteLength === 0) {
      if (this.#sentEmpty) return []
      this.#sentEmpty = true
      return [{ offset: 0, data }]
    }
    const chunks: SnapshotChunk[] = []
    const limit = Math.min(data.byteLength, this.#acked + this.maxInFlight * this.chunkBytes)
    while (this.#sent < limit) {
      const end = Math.min(this.#sent + this.chunkBytes, data.byteLength)
      chunks.push({ offset: this.#sent, data: data.subarray(this.#sent, end) })
      this.#sent = end
    }
    return chunks
  }

  /** The follower holds `received` bytes in order. */
  onResponse (received: number): void {
    this.#reported = Math.min(received, this.size)
    if (this.#reported > this.#acked) {
      this.#acked = this.#reported
      this.#stalled = 0
      if (this.#sent < this.#acked) this.#sent = this.#acked
    }
  }

  /** Called on every heartbeat; after `STALLED_HEARTBEATS` without progress, resends from the follower's last answer. */
  onHeartbeat (): void {
    if (++this.#stalled < STALLED_HEARTBEATS) return
    this.#stalled = 0
    this.#acked = this.#sent = this.#reported
    this.#sentEmpty = false
  }
}

/** The follower's side: the chunks of one snapshot so far, in order. */
export class SnapshotReceiver {
  readonly meta: SnapshotMeta
  readonly size: number
  readonly #chunks: Uint8Array[] = []
  #received = 0

  constructor (meta: SnapshotMeta, size: number) {
    this.meta = meta
    this.size = size
  }

  get received (): number { return this.#received }

  /** True when this receiver is for the snapshot described. */
  matches (meta: SnapshotMeta, size: number): boolean {
    return meta.index === this.meta.index && meta.term === this.meta.term && size === this.size
  }

  /** Takes the chunk if it is the next one (others are duplicates or come after a gap). */
  accept (offset: number, data: Uint8Array): void {
    if (offset !== this.#received || offset + data.byteLength > this.size) return
    this.#chunks.push(data)
    this.#received += data.byteLength
  }

  get complete (): boolean { return this.#received === this.size }

  /** The whole snapshot, once complete. */
  bytes (): Uint8Array {
    const out = new Uint8Array(this.size)
    let at = 0
    for (const c of this.#chunks) {
      out.set(c, at)
      at += c.byteLength
    }
    return out
  }
}
