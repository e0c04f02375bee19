/**
 * Sends one output edge of a task to the edge's channels: picks the channel of each
 * record (forward, rebalance, key-group hash or broadcast), gathers records into batches
 * per channel, and sends control elements to every channel after flushing what is buffered
 * so that order is kept.
 */
import type { ChannelWriter } from './channel.ts'
import type { Key } from '../api/functions.ts'
import { hashKey, murmurNumber, normalizeKey, subtaskForKeyGroup } from '../graph/key-groups.ts'
import { END_OF_INPUT, type BarrierElement, type StatusElement, ACTIVE, IDLE } from './stream-element.ts'

export type PartitionerSpec =
  | { readonly kind: 'forward' }
  | { readonly kind: 'rebalance' }
  | { readonly kind: 'broadcast' }
  | { readonly kind: 'hash', readonly key: (value: any) => unknown, readonly maxParallelism: number }

export const DEFAULT_BATCH_SIZE = 1024

export class RecordWriter {
  readonly channels: readonly ChannelWriter[]
  readonly #partitioner: PartitionerSpec
  readonly #batchSize: number
  #values: unknown[][]
  #timestamps: number[][]
  #next = 0
  /** Hash partitioning: the channel of each key group (a division saved per record). */
  readonly #channelOfGroup: Int32Array | undefined
  /** Records emitted through this writer (for metrics and tests). */
  recordsOut = 0

  constructor (channels: readonly ChannelWriter[], partitioner: PartitionerSpec, batchSize = DEFAULT_BATCH_SIZE) {
    if (channels.length === 0) throw new Error('A record writer needs at least one channel')
    this.channels = channels
    this.#partitioner = partitioner
    this.#batchSize = batchSize
    this.#values = channels.map(() => [])
    this.#timestamps = channels.map(() => [])
    this.#next = 0
    if (partitioner.kind === 'hash') {
      const max = partitioner.maxParallelism
      this.#channelOfGroup = Int32Array.from({ length: max }, (_, g) => subtaskForKeyGroup(g, channels.length, max))
    }
  }

  emit (value: unknown, timestamp: number): void {
    this.recordsOut++
    this.#route(value, timestamp)
  }

  /**
   * Emits `values[0..n)` with their `timestamps`, as `emit` one by one. The arrays are lent:
   * their elements are copied into this writer's batches.
   */
  emitBatch (values: readonly unknown[], timestamps: readonly number[], n: number): void {
    this.recordsOut += n
    if (this.channels.length !== 1) {
      if (this.#partitioner.kind === 'hash') this.#hashBatch(values, timestamps, n)
      else for (let i = 0; i < n; i++) this.#route(values[i], timestamps[i]!)
      return
    }
    const size = this.#batchSize
    let i = 0
    while (i < n) {
      const vs = this.#values[0]!
      const end = Math.min(n, i + size - vs.length)
      if (vs.length === 0) {
        // nothing buffered: copy the run in one go rather than push by push
        this.#values[0] = values.slice(i, end)
        this.#timestamps[0] = timestamps.slice(i, end)
        i = end
      } else {
        const ts = this.#timestamps[0]!
        for (; i < end; i++) {
          vs.push(values[i])
          ts.push(timestamps[i]!)
        }
      }
      if (this.#values[0]!.length >= size) this.#flushChannel(0)
    }
  }

  /** `emitBatch` of a hash-partitioned edge: one tight loop (what `#route` does per record). */
  #hashBatch (values: readonly unknown[], timestamps: readonly number[], n: number): void {
    const p = this.#partitioner as Extract<PartitionerSpec, { kind: 'hash' }>
    const select = p.key
    const max = p.maxParallelism
    const channelOf = this.#channelOfGroup!
    const size = this.#batchSize
    for (let i = 0; i < n; i++) {
      const value = values[i]
      const raw = select(value)
      // a number is its own normal form: hash it without the type dispatch
      const hash = typeof raw === 'number' ? murmurNumber(raw) : hashKey(normalizeKey(raw))
      const c = channelOf[hash % max]!
      const vs = this.#values[c]!
      vs.push(value)
      this.#timestamps[c]!.push(timestamps[i]!)
      if (vs.length >= size) this.#flushChannel(c)
    }
  }

  #route (value: unknown, timestamp: number): void {
    const p = this.#partitioner
    const n = this.channels.length
    if (n === 1) {
      this.#add(0, value, timestamp)
    } else if (p.kind === 'hash') {
      const key: Key = normalizeKey(p.key(value))
      this.#add(this.#channelOfGroup![hashKey(key) % p.maxParallelism]!, value, timestamp)
    } else if (p.kind === 'broadcast') {
      for (let c = 0; c < n; c++) this.#add(c, value, timestamp)
    } else {
      // forward edges between equal parallelism have one channel per writer; anything
      // else reaching here spreads round-robin
      const c = this.#next
      this.#next = c + 1 === n ? 0 : c + 1
      this.#add(c, value, timestamp)
    }
  }

  #add (channel: number, value: unknown, timestamp: number): void {
    const values = this.#values[channel]!
    values.push(value)
    this.#timestamps[channel]!.push(timestamp)
    if (values.length >= this.#batchSize) this.#flushChannel(channel)
  }

  #flushChannel (channel: number): void {
    const values = this.#values[channel]!
    if (values.length === 0) return
    this.channels[channel]!.send({ type: 'records', values, timestamps: this.#timestamps[channel]! })
    this.#values[channel] = []
    this.#timestamps[channel] = []
  }

  /** Sends every partly filled batch. */
  flush (): void {
    for (let c = 0; c < this.channels.length; c++) this.#flushChannel(c)
  }

  emitWatermark (timestamp: number): void {
    this.flush()
    for (const ch of this.channels) ch.send({ type: 'watermark', timestamp })
  }

  emitStatus (idle: boolean): void {
    this.flush()
    const element: StatusElement = idle ? IDLE : ACTIVE
    for (const ch of this.channels) ch.send(element)
  }

  /** Sends a checkpoint barrier to every channel, after what is buffered. */
  emitBarrier (checkpointId: number): void {
    this.flush()
    const element: BarrierElement = { type: 'barrier', checkpointId }
    for (const ch of this.channels) ch.send(element)
  }

  emitEnd (): void {
    this.flush()
    for (const ch of this.channels) ch.send(END_OF_INPUT)
  }

  /** True when some channel has no credit left. */
  get blocked (): boolean {
    for (const ch of this.channels) if (!ch.writable) return true
    return false
  }

  /** Resolves when every channel has credit again, or when `signal` aborts. */
  async whenWritable (signal?: AbortSignal): Promise<void> {
    for (const ch of this.channels) {
      if (signal?.aborted === true) return
      if (!ch.writable) await ch.whenWritable(signal)
    }
  }
}
