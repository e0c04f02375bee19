/**
 * kafkaSource: reads Kafka topics with topic-partitions as splits (Flink's KafkaSource).
 *
 * A split is `{ id: 'topic/partition', topic, partition, offset, end? }`: `offset` is the
 * next offset to read, and the checkpointed splits are the truth on restore (a restore at
 * another parallelism reassigns them). The starting offsets are resolved to numbers when
 * the job first starts (`createSplits`), so every reader starts from the same positions.
 * Each reader fetches its partitions directly (no consumer-group membership); with a
 * `groupId` it commits the checkpointed offsets to Kafka when a checkpoint completes, for
 * monitoring tools (they are not read back, except by `startingOffsets: 'committed'` on a
 * fresh start). Reads are `read_committed`: records of aborted transactions are skipped.
 *
 * Partition discovery (`discoverPartitionsMs`): there is no split enumerator, so each
 * reader looks up the topics' partitions itself and takes a new partition when
 * `hash(topic/partition) % parallelism === subtaskIndex`, reading it from the earliest
 * offset. "New" means not known when the splits were created: every split carries the
 * partition counts the source knew then (`known`). Limits: a reader that restored no split
 * knows only the counts it sees at start (a partition added meanwhile is not read); after a
 * restore at another parallelism, a partition discovered while the previous run ran may
 * be read by two subtasks (the one that restored its split, and its new hash owner).
 *
 * Bounded mode (`stoppingOffsets: 'latest'`): each split's end is the partition's last
 * stable offset when the splits were created; a reader ends once every split reached it.
 *
 * Watermarks are per partition (the reader reports each batch's partition, see
 * `SourceReader.lastSplitId`): a subtask's watermark is the minimum over its partitions, so
 * a partition behind in event time is not late; with `withIdleness` a partition without
 * records for the timeout is left out, so an idle partition does not stall event time. A
 * partition that has produced nothing yet (also one discovered while running) holds the
 * watermark back until its first records or until it is idle.
 */
import { Admin, Consumer } from '@platformatic/kafka'
import type { Source, SourceSplit } from '../../node/api/source.ts'
import type { OutputTag } from '../../node/api/output-tag.ts'
import { KafkaOptionsError, KafkaTopicNotFoundError, KafkaUnavailableError } from './errors.ts'
import { deserializerOf, type KafkaDeserializer } from './serde.ts'
import { KafkaSourceReader, type KafkaDeadLetter } from './source-reader.ts'
import { errorMessage } from '../../protocol/error-message.ts'

export type StartingOffsets = 'earliest' | 'latest' | 'committed' | { readonly timestamp: number }

export interface KafkaSourceOptions<T> {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[]
  /** The topics to read (or `topicPattern`). */
  readonly topics?: readonly string[]
  /** Every topic whose name matches (looked up at start and, with discovery, while running). */
  readonly topicPattern?: RegExp
  /** Commits checkpointed offsets under this consumer group (for monitoring); needed by startingOffsets 'committed'. */
  readonly groupId?: string
  /** Where a fresh start begins (default 'earliest'); 'committed' falls back to earliest where the group has no offset. */
  readonly startingOffsets?: StartingOffsets
  /** 'latest': a bounded source that ends at the last offsets of when the job started. */
  readonly stoppingOffsets?: 'latest'
  readonly deserializer: KafkaDeserializer<T>
  /** Looks for new partitions (and topics matching the pattern) this often; off by default. */
  readonly discoverPartitionsMs?: number
  /** Records that cannot be deserialized go here; without it they fail the job naming their topic/partition/offset. */
  readonly deadLetter?: OutputTag<KafkaDeadLetter>
  readonly clientId?: string
}

/** A topic-partition and its position. Plain data (stored in checkpoints). */
export interface KafkaSplit extends SourceSplit {
  readonly topic: string
  readonly partition: number
  /** The next offset to read. */
  offset: number
  /** Bounded mode: the offset where the split ends (exclusive). */
  readonly end?: number
  /** Partition counts of every topic when the splits were created (see partition discovery). */
  readonly known: Readonly<Record<string, number>>
}

export function splitId (topic: string, partition: number): string { return `${topic}/${partition}` }

/** The topics to read: the listed ones, or those matching the pattern. */
export async function resolveTopics (admin: Admin, topics: readonly string[] | undefined, pattern: RegExp | undefined): Promise<string[]> {
  if (topics !== undefined) return [...topics]
  const all = await admin.listTopics({ includeInternals: false })
  return all.filter(t => pattern!.test(t)).sort()
}

async function createSplits<T> (o: KafkaSourceOptions<T>): Promise<KafkaSplit[]> {
  const clientId = o.clientId ?? 'meshflow-kafka-source'
  const admin = new Admin({ clientId, bootstrapBrokers: [...o.brokers] })
  const consumer = new Consumer({ clientId, groupId: o.groupId ?? `${clientId}-listing`, bootstrapBrokers: [...o.brokers] })
  try {
    const topics = await resolveTopics(admin, o.topics, o.topicPattern)
    if (topics.length === 0) return []
    let metadata
    try {
      metadata = await consumer.metadata({ topics, forceUpdate: true })
    } catch (err) {
      const missing = topics.find(t => errorMessage(err).includes(t)) ?? topics.join(', ')
      throw new KafkaTopicNotFoundError(missing, { cause: err })
    }
    const known: Record<string, number> = {}
    for (const t of topics) {
      const m = metadata.topics.get(t)
      if (m === undefined) throw new KafkaTopicNotFoundError(t)
      known[t] = m.partitionsCount
    }
    const start = o.startingOffsets ?? 'earliest'
    const earliest = await consumer.listOffsets({ topics, timestamp: -2n })
    let starts = earliest
    if (start === 'latest') starts = await consumer.listOffsets({ topics, timestamp: -1n, isolationLevel: 1 })
    else if (typeof start === 'object') starts = await consumer.listOffsets({ topics, timestamp: BigInt(start.timestamp) })
    const latest = o.stoppingOffsets === 'latest' ? await consumer.listOffsets({ topics, timestamp: -1n, isolationLevel: 1 }) : undefined
    let committed: Map<string, bigint[]> | undefined
    if (start === 'committed') {
      committed = await consumer.listCommittedOffsets({ topics: topics.map(t => ({ topic: t, partitions: Array.from({ length: known[t]! }, (_, i) => i) })) })
    }
    const splits: KafkaSplit[] = []
    for (const topic of topics) {
      for (let partition = 0; partition < known[topic]!; partition++) {
        let offset = starts.get(topic)?.[partition] ?? -1n
        const c = committed?.get(topic)?.[partition]
        if (c !== undefined && c >= 0n) offset = c
        // a timestamp after the last record: the end of the partition
        if (offset < 0n) offset = typeof start === 'object' ? (await consumer.listOffsets({ topics: [topic], timestamp: -1n })).get(topic)![partition]! : earliest.get(topic)![partition]!
        const split: KafkaSplit = { id: splitId(topic, partition), topic, partition, offset: Number(offset), known }
        splits.push(latest === undefined ? split : { ...split, end: Number(latest.get(topic)![partition]!) })
      }
    }
    return splits
  } catch (err) {
    if (err instanceof KafkaTopicNotFoundError) throw err
    throw new KafkaUnavailableError(`Cannot list the partitions of ${o.topics?.join(', ') ?? String(o.topicPattern)} at ${o.brokers.join(',')}: ${errorMessage(err)}`, { cause: err })
  } finally {
    await Promise.allSettled([admin.close(), consumer.close()])
  }
}

/**
 * A source reading Kafka topics; see the file's doc comment for splits, offsets and discovery.
 *
 * @throws {KafkaOptionsError} at once, for missing or contradictory options
 * @throws {KafkaTopicNotFoundError} at start, for a listed topic that does not exist
 * @throws {KafkaRecordError} while running, for a record the deserializer rejects without `deadLetter`
 * @example
 * env.fromSource(kafkaSource<Sale>({ brokers: ['127.0.0.1:39092'], topics: ['sales'], groupId: 'revenue',
 *   deserializer: 'json' }), WatermarkStrategy.forBoundedOutOfOrderness<Sale>(5_000).withTimestampAssigner(s => s.ts), 'sales')
 */
export function kafkaSource<T> (options: KafkaSourceOptions<T>): Source<T, KafkaSplit> {
  const o = options
  if (!Array.isArray(o.brokers) || o.brokers.length === 0) throw new KafkaOptionsError('kafkaSource needs brokers: a non-empty list of host:port')
  if ((o.topics === undefined) === (o.topicPattern === undefined)) throw new KafkaOptionsError('kafkaSource needs exactly one of topics and topicPattern')
  if (o.topics !== undefined && (!Array.isArray(o.topics) || o.topics.length === 0)) throw new KafkaOptionsError('kafkaSource topics must be a non-empty list')
  if (o.startingOffsets === 'committed' && o.groupId === undefined) throw new KafkaOptionsError("kafkaSource startingOffsets 'committed' needs a groupId")
  if (o.stoppingOffsets !== undefined && o.stoppingOffsets !== 'latest') throw new KafkaOptionsError(`kafkaSource stoppingOffsets must be 'latest', got ${String(o.stoppingOffsets)}`)
  if (o.discoverPartitionsMs !== undefined && !(o.discoverPartitionsMs > 0)) throw new KafkaOptionsError('kafkaSource discoverPartitionsMs must be a positive number of milliseconds')
  deserializerOf(o.deserializer)
  const bounded = o.stoppingOffsets === 'latest'
  return {
    bounded,
    createSplits: async () => await createSplits(o),
    createReader: context => new KafkaSourceReader<T>(o, context, bounded)
  }
}
