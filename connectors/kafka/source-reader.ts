/**
 * The reader of kafkaSource (source.ts): fetches its splits' partitions directly, decodes
 * records lazily as the task polls (so a record's position, dead letter and value are
 * emitted together), skips records of aborted transactions, discovers new partitions, and
 * commits checkpointed offsets to Kafka when a checkpoint completes.
 */
import { Admin, Consumer, IS_CONTROL, IS_TRANSACTIONAL, type RecordsBatch } from '@platformatic/kafka'
import { logger } from '@libp2p/logger'
import type { SourceReader, SourceReaderContext } from '../../node/api/source.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { KafkaOffsetOutOfRangeError, KafkaRecordError, KafkaUnavailableError } from './errors.ts'
import { deserializerOf, type KafkaRecord } from './serde.ts'
import { resolveTopics, splitId, type KafkaSourceOptions, type KafkaSplit } from './source.ts'

const log = logger('meshflow:kafka:source')

/** A record that could not be deserialized, as sent to the dead-letter side output. */
export interface KafkaDeadLetter {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  /** `topic <t> partition <p> offset <o>` */
  readonly location: string
  readonly key: string | null
  /** The value as UTF-8 text (invalid bytes replaced). */
  readonly text: string
  readonly error: string
}

const READ_COMMITTED = 1
const FETCH_WAIT_MS = 500
const OFFSET_OUT_OF_RANGE = 1
const lossy = new TextDecoder('utf-8')

function hash (s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) }
  return h >>> 0
}

/** Fetched batches of one partition, decoded as the task polls. */
interface Chunk {
  readonly split: KafkaSplit
  readonly batches: RecordsBatch[]
  readonly aborted: Array<{ producerId: bigint, firstOffset: bigint }>
  readonly abortedProducers: Set<bigint>
  /** The fetch it came with (numbered): at most two fetches are buffered. */
  readonly fetch: number
  batch: number
  record: number
}

export class KafkaSourceReader<T> implements SourceReader<T, KafkaSplit> {
  readonly #o: KafkaSourceOptions<T>
  readonly #context: SourceReaderContext
  readonly #bounded: boolean
  readonly #deserialize: (r: KafkaRecord) => T
  readonly #consumer: Consumer
  readonly #splits = new Map<string, KafkaSplit>()
  /** Every split's id ever assigned (finished ones too): discovery never takes them again. */
  readonly #claimed = new Set<string>()
  /** Last known position of every split (finished ones too), for offset commits. */
  readonly #positions = new Map<string, KafkaSplit>()
  #known: Record<string, number> | undefined
  #chunks: Chunk[] = []
  /** The next fetch, sent while the task takes the chunks of the last one. */
  #prefetch: Promise<void> | undefined
  #fetches = 0
  #nextDiscovery = 0
  #refreshMetadata = true
  readonly #snapshots = new Map<number, Array<{ topic: string, partition: number, offset: number }>>()
  #closed = false
  /** The split of the last batch `pollNext` returned (per-split watermarks). */
  #lastSplitId: string | undefined

  constructor (o: KafkaSourceOptions<T>, context: SourceReaderContext, bounded: boolean) {
    this.#o = o
    this.#context = context
    this.#bounded = bounded
    this.#deserialize = deserializerOf(o.deserializer)
    const clientId = o.clientId ?? `meshflow-kafka-source-${context.subtaskIndex}`
    this.#consumer = new Consumer({ clientId, groupId: o.groupId ?? `${clientId}-unused`, bootstrapBrokers: [...o.brokers], maxWaitTime: FETCH_WAIT_MS, maxBytes: 16 << 20 })
  }

  addSplits (splits: KafkaSplit[]): void {
    for (const s of splits) {
      const split: KafkaSplit = { ...s, known: { ...s.known } }
      this.#splits.set(split.id, split)
      this.#claimed.add(split.id)
      this.#positions.set(split.id, split)
      const known = this.#known ??= {}
      for (const [t, n] of Object.entries(split.known)) known[t] = Math.max(known[t] ?? 0, n)
    }
  }

  /**
   * Records of fetched chunks, taken synchronously: a split's position moves only in the
   * call that returns its records. A fetch resolves with an empty batch instead of taking
   * records, so the positions never move while the task holds a pending read (it may take
   * a snapshot between that read settling and its batch being emitted: the batch would then
   * be counted in the snapshot's positions but follow its barrier, and be lost on restore).
   */
  pollNext (max: number): T[] | null | Promise<T[] | null> {
    if (this.#chunks.length > 0) {
      const out = this.#take(max)
      // one fetch ahead (not two: a slow sink holds back the reads): it only adds chunks,
      // the positions move in #take alone
      const chunks = this.#chunks
      if (this.#prefetch === undefined && !this.#closed && (chunks.length === 0 || chunks[0]!.fetch === chunks[chunks.length - 1]!.fetch) &&
        [...this.#splits.values()].some(s => s.end === undefined || this.#fetchFrom(s) < s.end)) {
        // done: forgotten (its chunks are queued); failed: kept for the pollNext that waits for it
        const prefetch: Promise<void> = this.#fetch().then(() => { if (this.#prefetch === prefetch) this.#prefetch = undefined })
        prefetch.catch(() => {})
        this.#prefetch = prefetch
      }
      return out
    }
    if (this.#bounded) {
      // a split that starts at its end (an empty partition) is finished without a fetch
      for (const [id, s] of this.#splits) if (s.end !== undefined && s.offset >= s.end) this.#finish(id)
      if (this.#splits.size === 0) return null
    }
    const fetch = this.#prefetch ?? this.#fetch()
    this.#prefetch = undefined
    return fetch.then(() => [])
  }

  /** Where the next fetch of `split` starts: after the batches fetched for it and not taken yet. */
  #fetchFrom (split: KafkaSplit): number {
    for (let i = this.#chunks.length - 1; i >= 0; i--) {
      const c = this.#chunks[i]!
      if (c.split.id !== split.id) continue
      const b = c.batches[c.batches.length - 1]!
      return Math.max(split.offset, Number(b.firstOffset) + b.lastOffsetDelta + 1)
    }
    return split.offset
  }

  /** The partition of the last batch: every batch holds records of one partition (per-partition watermarks). */
  lastSplitId (): string | undefined {
    return this.#lastSplitId
  }

  #finish (id: string): void {
    this.#splits.delete(id)
    this.#context.splitFinished?.(id)
  }

  snapshotSplits (checkpointId?: number): KafkaSplit[] {
    const list = [...this.#splits.values()].map(s => ({ ...s, known: { ...s.known } }))
    if (checkpointId !== undefined && this.#o.groupId !== undefined) {
      this.#snapshots.set(checkpointId, [...this.#positions.values()].map(s => ({ topic: s.topic, partition: s.partition, offset: s.offset })))
    }
    return list
  }

  /** Commits the offsets of the completed checkpoint to the group (monitoring only: failures are logged). */
  async notifyCheckpointComplete (checkpointId: number): Promise<void> {
    if (this.#o.groupId === undefined) return
    let best: number | undefined
    for (const id of this.#snapshots.keys()) if (id <= checkpointId && (best === undefined || id > best)) best = id
    let offsets = best === undefined ? undefined : this.#snapshots.get(best)
    for (const id of [...this.#snapshots.keys()]) if (id <= checkpointId) this.#snapshots.delete(id)
    // the end of bounded input: everything read is final
    if (checkpointId === Number.MAX_SAFE_INTEGER) offsets = [...this.#positions.values()].map(s => ({ topic: s.topic, partition: s.partition, offset: s.offset }))
    if (offsets === undefined || offsets.length === 0) return
    try {
      // a standalone commit (no group membership: the reader assigns its own partitions),
      // as the Java consumer's commitSync after assign(): generation -1, no member id
      this.#consumer.generationId = -1
      this.#consumer.memberId = ''
      await this.#consumer.commit({ offsets: offsets.map(p => ({ topic: p.topic, partition: p.partition, offset: BigInt(p.offset), leaderEpoch: -1 })) })
    } catch (err) {
      log('committing offsets of checkpoint %d to group %s failed: %s', checkpointId, this.#o.groupId, errorMessage(err))
    }
  }

  async close (): Promise<void> {
    this.#closed = true
    await this.#consumer.close(true).catch(() => {})
  }

  async #fetch (): Promise<void> {
    const signal = this.#context.signal
    if (!this.#bounded && this.#o.discoverPartitionsMs !== undefined && Date.now() >= this.#nextDiscovery) {
      await this.#discover()
      this.#nextDiscovery = Date.now() + this.#o.discoverPartitionsMs
    }
    const from = new Map<string, number>()
    for (const s of this.#splits.values()) from.set(s.id, this.#fetchFrom(s))
    const active = [...this.#splits.values()].filter(s => s.end === undefined || from.get(s.id)! < s.end)
    if (active.length === 0) {
      // nothing to read here (yet): wait a little rather than spin
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, Math.min(this.#o.discoverPartitionsMs ?? 1_000, 1_000))
        signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
      })
      return
    }
    let metadata
    try {
      metadata = await this.#consumer.metadata({ topics: [...new Set(active.map(s => s.topic))], forceUpdate: this.#refreshMetadata })
    } catch (err) {
      throw new KafkaUnavailableError(`Kafka metadata request to ${this.#o.brokers.join(',')} failed: ${errorMessage(err)}`, { cause: err })
    }
    this.#refreshMetadata = false
    const byNode = new Map<number, Map<string, { topicId: string, partitions: KafkaSplit[] }>>()
    for (const s of active) {
      const t = metadata.topics.get(s.topic)
      const leader = t?.partitions[s.partition]?.leader
      if (t === undefined || leader === undefined || leader < 0) { this.#refreshMetadata = true; continue }
      let topics = byNode.get(leader)
      if (topics === undefined) byNode.set(leader, topics = new Map())
      let entry = topics.get(t.id)
      if (entry === undefined) topics.set(t.id, entry = { topicId: t.id, partitions: [] })
      entry.partitions.push(s)
    }
    const responses = await Promise.all([...byNode].map(async ([node, topics]) => {
      const byKey = new Map<string, KafkaSplit>()
      const request = [...topics.values()].map(e => ({
        topicId: e.topicId,
        partitions: e.partitions.map(s => {
          byKey.set(`${e.topicId}/${s.partition}`, s)
          return { partition: s.partition, currentLeaderEpoch: -1, fetchOffset: BigInt(from.get(s.id)!), lastFetchedEpoch: -1, partitionMaxBytes: 4 << 20 }
        })
      }))
      try {
        return { byKey, response: await this.#consumer.fetch({ node, topics: request, isolationLevel: READ_COMMITTED, maxWaitTime: FETCH_WAIT_MS }) }
      } catch (err) {
        this.#refreshMetadata = true
        throw new KafkaUnavailableError(`Kafka fetch from broker ${node} failed: ${errorMessage(err)}`, { cause: err })
      }
    }))
    const fetch = ++this.#fetches
    for (const { byKey, response } of responses) {
      for (const t of response.responses) {
        for (const p of t.partitions) {
          const split = byKey.get(`${t.topicId}/${p.partitionIndex}`)
          if (split === undefined) continue
          if (p.errorCode === OFFSET_OUT_OF_RANGE) throw new KafkaOffsetOutOfRangeError(split.topic, split.partition, split.offset)
          if (p.errorCode !== 0) { this.#refreshMetadata = true; continue }
          if (p.records === undefined || p.records === null || p.records.length === 0) continue
          const aborted = [...(p.abortedTransactions ?? [])].sort((a, b) => a.firstOffset < b.firstOffset ? -1 : 1)
          this.#chunks.push({ split, batches: p.records, aborted, abortedProducers: new Set(), fetch, batch: 0, record: 0 })
        }
      }
    }
  }

  /**
   * Decodes up to `max` records of the fetched chunks, advancing each split's position. A
   * batch holds records of one partition only (its watermark generator is the partition's).
   */
  #take (max: number): T[] | null {
    const out: T[] = []
    while (out.length < max && this.#chunks.length > 0) {
      const c = this.#chunks[0]!
      const split = c.split
      if (!this.#splits.has(split.id)) { this.#chunks.shift(); continue }
      while (out.length < max && c.batch < c.batches.length) {
        const b = c.batches[c.batch]!
        const last = Number(b.firstOffset) + b.lastOffsetDelta
        if (c.record === 0) {
          // aborted transactions starting at or before this batch (the Java client's rule)
          while (c.aborted.length > 0 && c.aborted[0]!.firstOffset <= BigInt(last)) c.abortedProducers.add(c.aborted.shift()!.producerId)
          let skip = false
          if ((b.attributes & IS_CONTROL) !== 0) {
            // an ABORT marker ends that producer's aborted transaction
            if (c.abortedProducers.has(b.producerId) && controlType(b) === 0) c.abortedProducers.delete(b.producerId)
            skip = true
          } else if ((b.attributes & IS_TRANSACTIONAL) !== 0 && c.abortedProducers.has(b.producerId)) {
            skip = true
          }
          if (skip) {
            split.offset = Math.max(split.offset, last + 1)
            c.batch++
            continue
          }
        }
        while (out.length < max && c.record < b.records.length) {
          const r = b.records[c.record++]!
          const offset = Number(b.firstOffset) + r.offsetDelta
          if (offset < split.offset) continue
          if (split.end !== undefined && offset >= split.end) { c.record = b.records.length; break }
          split.offset = offset + 1
          const record: KafkaRecord = {
            topic: split.topic,
            partition: split.partition,
            offset,
            timestamp: Number(b.firstTimestamp + r.timestampDelta),
            key: r.key,
            value: r.value,
            headers: r.headers.map(([k, v]) => [k === null ? '' : lossy.decode(k), v] as const)
          }
          let value: T
          try {
            value = this.#deserialize(record)
          } catch (err) {
            this.#deadLetter(record, err)
            continue
          }
          out.push(value)
        }
        if (c.record >= b.records.length) {
          split.offset = Math.max(split.offset, split.end === undefined ? last + 1 : Math.min(last + 1, split.end))
          c.batch++
          c.record = 0
        }
      }
      if (c.batch >= c.batches.length) this.#chunks.shift()
      if (split.end !== undefined && split.offset >= split.end) this.#finish(split.id)
      if (out.length > 0) {
        this.#lastSplitId = split.id
        break
      }
    }
    if (out.length === 0 && this.#bounded && this.#splits.size === 0) return null
    return out
  }

  #deadLetter (r: KafkaRecord, err: unknown): void {
    const tag = this.#o.deadLetter
    if (tag === undefined) throw new KafkaRecordError(r.topic, r.partition, r.offset, errorMessage(err), { cause: err })
    const letter: KafkaDeadLetter = {
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      location: `topic ${r.topic} partition ${r.partition} offset ${r.offset}`,
      key: r.key === null ? null : lossy.decode(r.key),
      text: r.value === null ? '' : lossy.decode(r.value),
      error: errorMessage(err)
    }
    this.#context.output(tag, letter)
  }

  /** Takes the partitions added since the splits were created that hash to this subtask. */
  async #discover (): Promise<void> {
    const { subtaskIndex, parallelism } = this.#context
    const clientId = this.#o.clientId ?? `meshflow-kafka-source-${subtaskIndex}`
    const admin = new Admin({ clientId, bootstrapBrokers: [...this.#o.brokers] })
    try {
      const topics = await resolveTopics(admin, this.#o.topics, this.#o.topicPattern)
      if (topics.length === 0) return
      const metadata = await this.#consumer.metadata({ topics, forceUpdate: true })
      const first = this.#known === undefined
      const known = this.#known ??= {}
      const fresh: KafkaSplit[] = []
      for (const topic of topics) {
        const count = metadata.topics.get(topic)?.partitionsCount ?? 0
        // a reader without splits takes what it sees first as known (see the limits in source.ts)
        if (first) { known[topic] = count; continue }
        for (let partition = known[topic] ?? 0; partition < count; partition++) {
          const id = splitId(topic, partition)
          if (this.#claimed.has(id) || hash(id) % parallelism !== subtaskIndex) continue
          fresh.push({ id, topic, partition, offset: 0, known: { ...known } })
        }
      }
      if (fresh.length === 0) return
      const earliest = await this.#consumer.listOffsets({ topics: [...new Set(fresh.map(s => s.topic))], timestamp: -2n })
      for (const s of fresh) s.offset = Number(earliest.get(s.topic)?.[s.partition] ?? 0n)
      log('subtask %d discovered %s', subtaskIndex, fresh.map(s => s.id).join(', '))
      this.addSplits(fresh)
      for (const s of fresh) this.#context.splitAdded?.(s.id)
    } catch (err) {
      if (this.#closed) return
      log('partition discovery failed: %s', errorMessage(err))
    } finally {
      await admin.close().catch(() => {})
    }
  }
}

/** The type of a control batch's marker: 0 abort, 1 commit (its record key: version int16, type int16). */
function controlType (b: RecordsBatch): number {
  const key = b.records[0]?.key
  return key === null || key === undefined || key.length < 4 ? -1 : key.readInt16BE(2)
}
