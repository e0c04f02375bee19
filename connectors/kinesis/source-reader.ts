/**
 * The reader of kinesisSource: one fetch loop per assigned shard split, each at most one
 * GetRecords batch ahead of what `pollNext` handed out (bounded memory, backpressure to
 * Kinesis). Positions move only in `pollNext`, so `snapshotSplits` is always exactly what
 * was emitted; a fetch loop that reaches the end of a closed shard lists its children, and
 * `pollNext` swaps the split for them once the shard's last record is out.
 */
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis'
import { logger } from '@libp2p/logger'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SourceReader, SourceReaderContext } from '../../node/api/source.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { call, createKinesisClient, listShards, type RetryStats } from './client.ts'
import { DEFAULT_POLL_INTERVAL_MS, DEFAULT_RECORDS_PER_FETCH, DEFAULT_RETRY_TIMEOUT_MS } from './constants.ts'
import { ChildShardsNotFoundError, MalformedKinesisRecordError } from './errors.ts'
import { toDeserialize, type KinesisRecordInfo } from './serde.ts'
import { childSplits, hasChildren, isWhole, splitFilter, type KinesisSplit } from './shard-splits.ts'
import type { KinesisSourceOptions } from './source.ts'

const log = logger('meshflow:connectors:kinesis:source')

/** What one GetRecords call brought, waiting to be handed out. */
interface Fetched {
  readonly records: _Record[]
  /** Next record to hand out. */
  next: number
  /** The shard ended after these records; `children` replace its split. */
  readonly ended: boolean
  readonly children: KinesisSplit[]
}

/** An assigned split and its fetch loop. */
interface ShardState {
  split: KinesisSplit
  readonly accept: ((partitionKey: string) => boolean) | undefined
  fetched: Fetched | undefined
  /** Wakes the fetch loop when `fetched` was handed out. */
  room: (() => void) | undefined
  readonly stop: AbortController
}

export interface KinesisSourceReaderComponents {
  readonly context: SourceReaderContext
}

/** Reads the shard splits of one subtask of a kinesisSource. */
export class KinesisSourceReader<T> implements SourceReader<T, KinesisSplit> {
  readonly #context: SourceReaderContext
  readonly #options: KinesisSourceOptions<T>
  readonly #deserialize: (data: Uint8Array, record: KinesisRecordInfo) => T
  readonly #client: KinesisClient
  readonly #abort = new AbortController()
  readonly #shards = new Map<string, ShardState>()
  #failure: unknown
  #wake: (() => void) | undefined
  /** Where the round-robin over shards starts next, so no shard starves another. */
  #turn = 0
  /** The shard split of the last batch `pollNext` returned (per-shard watermarks). */
  #lastSplitId: string | undefined
  #closed = false
  readonly #onJobAbort: () => void
  /** Calls retried: throttling and transient failures (tests read it). */
  readonly stats: RetryStats = { throttled: 0, transient: 0 }

  constructor (components: KinesisSourceReaderComponents, init: KinesisSourceOptions<T>) {
    this.#context = components.context
    this.#options = init
    this.#deserialize = toDeserialize(init.deserializer)
    this.#client = createKinesisClient(init)
    this.#onJobAbort = () => { this.#abort.abort(components.context.signal.reason) }
    if (components.context.signal.aborted) this.#onJobAbort()
    else components.context.signal.addEventListener('abort', this.#onJobAbort, { once: true })
    this.#abort.signal.addEventListener('abort', () => { this.#notify() }, { once: true })
  }

  addSplits (splits: KinesisSplit[]): void {
    for (const s of splits) this.#add(s)
  }

  #add (split: KinesisSplit): void {
    const state: ShardState = {
      split: { ...split },
      accept: isWhole(split) ? undefined : splitFilter(split),
      fetched: undefined,
      room: undefined,
      stop: new AbortController()
    }
    this.#shards.set(split.id, state)
    // the loop reports its failure through #failure; it never rejects
    void this.#fetchLoop(state)
  }

  /** Records of one shard per batch (its watermark generator is the shard's), round-robin over the shards. */
  pollNext (max: number): T[] | Promise<T[]> {
    if (this.#failure !== undefined) throw this.#failure
    const out: T[] = []
    let progressed = false
    const states = [...this.#shards.values()]
    for (let i = 0; i < states.length; i++) {
      const state = states[(this.#turn + i) % states.length]!
      if (state.fetched !== undefined) {
        this.#take(state, max, out)
        progressed = true
        if (out.length > 0) {
          this.#lastSplitId = state.split.id
          break
        }
      }
    }
    this.#turn++
    if (progressed) return out
    if (this.#closed || this.#abort.signal.aborted) return new Promise(() => {})
    return new Promise<void>(resolve => { this.#wake = resolve }).then(() => this.#afterWait(max))
  }

  /** The shard split of the last batch: every batch holds records of one split. */
  lastSplitId (): string | undefined {
    return this.#lastSplitId
  }

  #afterWait (max: number): T[] | Promise<T[]> {
    if (this.#abort.signal.aborted) return []
    return this.pollNext(max)
  }

  /** Hands out records of `state`'s fetched batch into `out`, moving the split's position. */
  #take (state: ShardState, max: number, out: T[]): void {
    const f = state.fetched!
    const { stream, shardId } = state.split
    let last: string | undefined
    while (f.next < f.records.length && out.length < max) {
      const r = f.records[f.next++]!
      last = r.SequenceNumber!
      if (state.accept !== undefined && !state.accept(r.PartitionKey!)) continue
      const data = r.Data ?? new Uint8Array(0)
      const info: KinesisRecordInfo = {
        stream, shardId, sequenceNumber: last, partitionKey: r.PartitionKey!,
        arrivalTimestamp: r.ApproximateArrivalTimestamp?.getTime()
      }
      let value: T
      try {
        value = this.#deserialize(data, info)
      } catch (err) {
        const bad = new MalformedKinesisRecordError(stream, shardId, last, errorMessage(err), { cause: err })
        const tag = this.#options.deadLetter
        if (tag === undefined) {
          // the position stays before the bad record: a restore meets it again
          f.next--
          throw bad
        }
        this.#context.output(tag, { stream, shardId, sequenceNumber: last, partitionKey: r.PartitionKey!, data, error: bad.message })
        continue
      }
      out.push(value)
    }
    if (last !== undefined) state.split = { ...state.split, after: last }
    if (f.next < f.records.length) return
    state.fetched = undefined
    if (f.ended) {
      // the shard is done: its children take its place in one step (and in the next snapshot)
      this.#shards.delete(state.split.id)
      state.stop.abort()
      log('shard %s of %s ended, reading its children %s', shardId, stream, f.children.map(c => c.id).join(', '))
      this.#context.splitFinished?.(state.split.id)
      for (const c of f.children) {
        this.#add(c)
        this.#context.splitAdded?.(c.id)
      }
    } else {
      const room = state.room
      state.room = undefined
      room?.()
    }
  }

  #notify (): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  async #fetchLoop (state: ShardState): Promise<void> {
    const signal = AbortSignal.any([this.#abort.signal, state.stop.signal])
    const retry = { signal, stats: this.stats, ...(this.#options.retryTimeoutMs === undefined ? {} : { retryTimeoutMs: this.#options.retryTimeoutMs }) }
    const { stream, shardId } = state.split
    const limit = this.#options.recordsPerFetch ?? DEFAULT_RECORDS_PER_FETCH
    const pollMs = this.#options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS
    /** The fetch position: ahead of the split's by at most one batch. */
    let after = state.split.after
    let iterator: string | undefined
    try {
      for (;;) {
        signal.throwIfAborted()
        if (state.fetched !== undefined) {
          await new Promise<void>(resolve => {
            const onAbort = (): void => { resolve() }
            state.room = () => { signal.removeEventListener('abort', onAbort); resolve() }
            signal.addEventListener('abort', onAbort, { once: true })
          })
          continue
        }
        iterator ??= (await call('GetShardIterator', stream, abortSignal => this.#client.send(new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shardId,
          ...(after !== undefined
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }
            : state.split.startTimestamp !== undefined
              ? { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(state.split.startTimestamp) }
              : { ShardIteratorType: 'TRIM_HORIZON' })
        }), { abortSignal }), retry)).ShardIterator
        let page
        try {
          const it = iterator!
          page = await call('GetRecords', stream, abortSignal => this.#client.send(new GetRecordsCommand({ ShardIterator: it, Limit: limit }), { abortSignal }), retry)
        } catch (err) {
          // an iterator lives 5 minutes (and a stalled loop outlives it): get a new one
          if ((err as { code?: unknown }).code === 'ExpiredIteratorException') { iterator = undefined; continue }
          throw err
        }
        const records = page.Records ?? []
        if (records.length > 0) after = records[records.length - 1]!.SequenceNumber
        if (page.NextShardIterator == null) {
          const children = await this.#children(state.split, signal)
          state.fetched = { records, next: 0, ended: true, children }
          this.#notify()
          return
        }
        iterator = page.NextShardIterator
        if (records.length > 0) {
          state.fetched = { records, next: 0, ended: false, children: [] }
          this.#notify()
        }
        // caught up: wait before asking again (Kinesis allows 5 GetRecords a second per shard)
        if (records.length < limit && (page.MillisBehindLatest ?? 0) === 0) await sleep(pollMs, undefined, { signal })
      }
    } catch (err) {
      if (signal.aborted) return
      log.error('reading shard %s of %s failed: %s', shardId, stream, errorMessage(err))
      this.#failure ??= err
      this.#notify()
    }
  }

  /** The child splits of an ended shard; Kinesis lists the children once the parent is closed. */
  async #children (split: KinesisSplit, signal: AbortSignal): Promise<KinesisSplit[]> {
    const retryMs = this.#options.retryTimeoutMs ?? DEFAULT_RETRY_TIMEOUT_MS
    const since = Date.now()
    for (;;) {
      const shards = await listShards(this.#client, split.stream, { signal, retryTimeoutMs: retryMs, stats: this.stats })
      if (hasChildren(split.shardId, shards)) return childSplits(split, shards)
      if (Date.now() - since > retryMs) throw new ChildShardsNotFoundError(split.stream, split.shardId, Date.now() - since)
      await sleep(500, undefined, { signal })
    }
  }

  snapshotSplits (): KinesisSplit[] {
    return [...this.#shards.values()].map(s => ({ ...s.split }))
  }

  close (): void {
    if (this.#closed) return
    this.#closed = true
    this.#context.signal.removeEventListener('abort', this.#onJobAbort)
    this.#abort.abort(new Error('Kinesis source reader closed'))
    for (const s of this.#shards.values()) s.stop.abort()
    this.#client.destroy()
  }
}
