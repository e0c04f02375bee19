/**
 * kafkaSink: writes a stream to Kafka topics, at-least-once (an idempotent producer whose
 * writes a checkpoint waits for) or exactly-once through Kafka transactions.
 *
 * Exactly-once (Flink's KafkaSink with `DeliveryGuarantee.EXACTLY_ONCE`): each subtask
 * writes the records between two checkpoints in one transaction with its own
 * transactional id `<prefix>-<parallelism>-<subtask>-<n>`, n a sequence number the
 * checkpoints carry on. On the checkpoint barrier the writer flushes and pre-commits: the transaction stays
 * open and its id, producer id and epoch go into the checkpoint. When the checkpoint
 * completes the transaction is committed BY ID (an EndTxn request with that producer id
 * and epoch — what Flink does by reflection on the Java producer; @platformatic/kafka
 * exposes the protocol requests), so a writer after a restore, on any peer, commits what
 * the failed attempt pre-committed; committing twice is a no-op. The ids are deterministic
 * (as Flink's `<prefix>-<subtask>-<checkpoint>`), so a writer that starts — fresh, or after
 * a restore — knows every id the failed attempt may have left open: the sequence numbers
 * from the restored checkpoint's (0 on a fresh start) up to the first that was never
 * used. It aborts them by initialising those ids in order (InitProducerId aborts an open
 * transaction and fences its producer) until it reaches one that was never used (epoch 0),
 * and goes on from there; it does the same for the ids of every other subtask whose
 * committables it restored (after rescaling). This covers an attempt killed before any
 * of its checkpoints completed, whose ids no checkpoint holds. Every pre-commit hands over
 * a committable even when nothing was written, so every old writer's last sequence number
 * reaches a new writer. `close` aborts the open, not pre-committed transaction.
 *
 * Throughput: a write hands its records to the producer and returns while up to
 * MAX_IN_FLIGHT produce requests are unacknowledged (Kafka's idempotent producer keeps
 * their order with at most 5); the barrier waits for all of them (`prepareCommit`, also
 * for at-least-once, whose committables are always empty), so a checkpoint never covers
 * records the broker has not acknowledged, and a failed request fails the next write or
 * the checkpoint. An exactly-once writer adds every partition of a topic to its
 * transaction before the first record to it (AddPartitionsToTxn once per topic and
 * transaction, not per request, and never two of them at once).
 *
 * Limits: the prefix must be unique per job writing to a cluster (two jobs with one
 * prefix fence each other), and a writer with no state of its own (a fresh start, or
 * any writer after a rescale) walks through every id an earlier run with its subtask
 * index and parallelism used, one request each (none, unless a job goes back to a
 * parallelism it ran at before). A checkpoint must complete, and a failed
 * job restore, within `transactionTimeoutMs` (≤ the broker's transaction.max.timeout.ms),
 * or the broker aborts pre-committed output and the commit fails the job
 * (KafkaTransactionLostError) instead of losing it silently. Transactional ids are not
 * reused by a writer before it aborted them; the broker forgets them after
 * transactional.id.expiration.ms (7 days).
 */
import { Producer, ProduceAcks, type MessageRecord, type MessageToProduce } from '@platformatic/kafka'
import { logger } from '@libp2p/logger'
import type { Sink, SinkWriter, SinkWriterContext } from '../../node/api/sink.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { KafkaOptionsError, KafkaSerializationError, KafkaUnavailableError } from './errors.ts'
import { serializerOf, toBuffer, type KafkaSerializer } from './serde.ts'
import { TopicCheck } from './topic-check.ts'
import { TransactionCoordinators, type PreparedTransaction } from './transactions.ts'

const log = logger('meshflow:kafka:sink')

/** Produce requests a writer keeps unacknowledged (the idempotent producer's limit is 5 per partition). */
const MAX_IN_FLIGHT = 4
const DEFAULT_BATCH = 5_000
/** Bytes of keys and values per produce request at most (a partition's batch must stay under the broker's 1 MiB message.max.bytes). */
const MAX_REQUEST_BYTES = 512 << 10
const EMPTY = Buffer.alloc(0)
/** How long closing an exactly-once writer waits for its requests in flight before it aborts. */
const CLOSE_SETTLE_MS = 5_000

export interface KafkaSinkOptions<T> {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[]
  /** The topic every record goes to (or `topicSelector`). */
  readonly topic?: string
  /** The topic of each record. */
  readonly topicSelector?: (value: T) => string
  /** The record key (records with the same key go to the same partition); none by default. */
  readonly key?: (value: T) => string | Uint8Array | null | undefined
  readonly serializer: KafkaSerializer<T>
  /** Default 'at-least-once'. */
  readonly delivery?: 'at-least-once' | 'exactly-once'
  /** Exactly-once: the start of every transactional id; unique per job writing to a cluster. */
  readonly transactionalIdPrefix?: string
  /** Exactly-once: how long the broker keeps a transaction open (default 900,000 ms, the broker's default maximum). */
  readonly transactionTimeoutMs?: number
  /** Records per produce request at most (default 5,000; requests also stop at 512 KiB of keys and values). */
  readonly batchSize?: number
  readonly clientId?: string
}

/** What an exactly-once writer hands over at a checkpoint (plain data). */
export interface KafkaCommittable {
  /** `<prefix>-<parallelism>-<subtask>`: the writer's transactional ids are `<idBase>-<n>`. */
  readonly idBase: string
  /** The sequence number of the writer's next transaction (higher ones may linger after a failure). */
  readonly next: number
  /** The pre-committed transaction, if anything was written since the last checkpoint. */
  readonly transaction: PreparedTransaction | null
}

interface Prepared<T> {
  readonly topic: (value: T) => string
  readonly key: ((value: T) => Buffer | undefined) | undefined
  readonly value: (value: T) => Buffer
}

function prepare<T> (o: KafkaSinkOptions<T>): Prepared<T> {
  if (!Array.isArray(o.brokers) || o.brokers.length === 0) throw new KafkaOptionsError('kafkaSink needs brokers: a non-empty list of host:port')
  if ((o.topic === undefined) === (o.topicSelector === undefined)) throw new KafkaOptionsError('kafkaSink needs exactly one of topic and topicSelector')
  const delivery = o.delivery ?? 'at-least-once'
  if (delivery !== 'at-least-once' && delivery !== 'exactly-once') throw new KafkaOptionsError(`kafkaSink delivery must be 'at-least-once' or 'exactly-once', got ${String(delivery)}`)
  if (delivery === 'exactly-once' && (typeof o.transactionalIdPrefix !== 'string' || o.transactionalIdPrefix === '')) {
    throw new KafkaOptionsError('kafkaSink with exactly-once delivery needs a transactionalIdPrefix (unique per job writing to the cluster)')
  }
  const fixed = o.topic
  const key = o.key
  return {
    topic: fixed !== undefined ? () => fixed : o.topicSelector!,
    key: key === undefined ? undefined : v => { const k = key(v); return k === null || k === undefined ? undefined : toBuffer(k) },
    value: serializerOf(o.serializer)
  }
}

/** The messages of a batch, failing on the first value that cannot be serialized. */
function messagesOf<T> (p: Prepared<T>, values: readonly T[]): MessageToProduce[] {
  const out = new Array<MessageToProduce>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    try {
      const key = p.key?.(v)
      out[i] = key === undefined ? { topic: p.topic(v), value: p.value(v) } : { topic: p.topic(v), key, value: p.value(v) }
    } catch (err) {
      throw new KafkaSerializationError(`Cannot write a value to Kafka: ${errorMessage(err)}`, { cause: err })
    }
  }
  return out
}

function wrapSendError (err: unknown): Error {
  if (err instanceof KafkaSerializationError) return err
  return new KafkaUnavailableError(`Kafka produce failed: ${errorMessage(err)}`, { cause: err })
}

/**
 * Produce requests in flight: `add` returns once fewer than MAX_IN_FLIGHT are outstanding,
 * `flush` once all are acknowledged; the first failure is thrown by the next of either.
 */
class InFlight {
  readonly #pending = new Set<Promise<void>>()
  #failure: unknown

  async add (send: Promise<unknown>): Promise<void> {
    const p: Promise<void> = send.then(() => { this.#pending.delete(p) }, (err: unknown) => {
      this.#pending.delete(p)
      this.#failure ??= err
    })
    this.#pending.add(p)
    while (this.#pending.size >= MAX_IN_FLIGHT) await Promise.race(this.#pending)
    this.check()
  }

  async flush (): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending)
    this.check()
  }

  check (): void {
    if (this.#failure !== undefined) throw wrapSendError(this.#failure)
  }

  /** Waits until no request is in flight, or `ms` passed; failures are left to `check`. */
  async settle (ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([Promise.allSettled(this.#pending), new Promise(resolve => { timer = setTimeout(resolve, ms) })])
    clearTimeout(timer)
  }
}

/** The requests of a write: at most `batch` records and about MAX_REQUEST_BYTES each. */
function requests (messages: MessageToProduce[], batch: number): MessageToProduce[][] {
  const out: MessageToProduce[][] = []
  let from = 0
  let bytes = 0
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!
    bytes += m.value!.length + (m.key?.length ?? 0)
    if (i + 1 - from >= batch || bytes >= MAX_REQUEST_BYTES) {
      out.push(from === 0 && i + 1 === messages.length ? messages : messages.slice(from, i + 1))
      from = i + 1
      bytes = 0
    }
  }
  if (from < messages.length) out.push(from === 0 ? messages : messages.slice(from))
  return out
}

/**
 * At-least-once: an idempotent producer; a checkpoint waits for the writes before it. It
 * has the two phases only to flush at the barrier: it pre-commits nothing (no committables).
 */
class AtLeastOnceWriter<T> implements SinkWriter<T> {
  readonly #p: Prepared<T>
  readonly #producer: Producer
  readonly #batch: number
  readonly #topics: TopicCheck
  readonly #inFlight = new InFlight()

  constructor (p: Prepared<T>, o: KafkaSinkOptions<T>, context: SinkWriterContext) {
    this.#p = p
    this.#batch = o.batchSize ?? DEFAULT_BATCH
    const clientId = o.clientId ?? `meshflow-${context.jobName}-${context.subtaskIndex}`
    this.#producer = new Producer({ clientId, bootstrapBrokers: [...o.brokers], idempotent: true, acks: ProduceAcks.ALL })
    this.#topics = new TopicCheck(o.brokers, clientId)
  }

  async write (values: T[]): Promise<void> {
    this.#inFlight.check()
    const messages = messagesOf(this.#p, values)
    await this.#topics.check(messages)
    for (const request of requests(messages, this.#batch)) await this.#inFlight.add(this.#producer.send({ messages: request }))
  }

  /** The barrier (or the end of input): every record written is acknowledged. */
  async prepareCommit (_checkpointId: number): Promise<unknown[]> {
    await this.#inFlight.flush()
    return []
  }

  commit (_committables: readonly unknown[]): void {}

  async finish (): Promise<void> {
    await this.#inFlight.flush()
  }

  async close (): Promise<void> {
    await this.#producer.close(true)
  }
}

/** Exactly-once through transactions committed by id (see the file's doc comment). */
class ExactlyOnceWriter<T> implements SinkWriter<T> {
  readonly #p: Prepared<T>
  readonly #o: KafkaSinkOptions<T>
  readonly #clientId: string
  readonly #idBase: string
  readonly #timeoutMs: number
  readonly #batch: number
  readonly #coordinators: TransactionCoordinators
  readonly #topicCheck: TopicCheck
  #seq = 0
  /** The open transaction's producer (records written since the last pre-commit). */
  #producer: Producer | undefined
  #transaction: Awaited<ReturnType<Producer['beginTransaction']>> | undefined
  /** Topics whose partitions are all in the open transaction. */
  readonly #topics = new Set<string>()
  readonly #inFlight = new InFlight()
  /**
   * Id bases -> the sequence number from which ids a failed attempt may have left open:
   * aborted before this writer writes. Its own base starts at 0 (a fresh start), or the
   * restored checkpoint's `next`.
   */
  readonly #lingering = new Map<string, number>()
  /** Its own lingering ids were aborted: its `#seq` is the first id never used. */
  #ownAborted = false

  constructor (p: Prepared<T>, o: KafkaSinkOptions<T>, context: SinkWriterContext) {
    this.#p = p
    this.#o = o
    this.#timeoutMs = o.transactionTimeoutMs ?? 900_000
    this.#batch = o.batchSize ?? DEFAULT_BATCH
    this.#clientId = o.clientId ?? `meshflow-${context.jobName}-${context.subtaskIndex}`
    // the parallelism in the base: after a rescale, the bases of the restored committables
    // (the old parallelism's) are never a running writer's own, so two writers never
    // probe and use one base at the same time
    this.#idBase = `${o.transactionalIdPrefix!}-${context.parallelism}-${context.subtaskIndex}`
    this.#coordinators = new TransactionCoordinators(o.brokers, this.#clientId)
    this.#topicCheck = new TopicCheck(o.brokers, this.#clientId)
    this.#lingering.set(this.#idBase, 0)
  }

  /**
   * Aborts what failed attempts may have left open after the restored checkpoint (or
   * before any checkpoint); this writer's own ids go on from the first never used.
   */
  async #abortLingering (): Promise<void> {
    for (const [base, next] of this.#lingering) {
      let n = next
      for (; ; n++) {
        const epoch = await this.#coordinators.fence(`${base}-${n}`, this.#timeoutMs)
        if (epoch === 0) break   // never used: the old writer stopped before it
        log('aborted lingering transaction %s-%d', base, n)
      }
      if (base === this.#idBase) {
        this.#seq = n
        this.#ownAborted = true
      }
      this.#lingering.delete(base)
    }
  }

  async #begin (): Promise<void> {
    if (this.#lingering.size > 0) await this.#abortLingering()
    const producer = new Producer({
      clientId: this.#clientId,
      bootstrapBrokers: [...this.#o.brokers],
      idempotent: true,
      acks: ProduceAcks.ALL,
      transactionalId: `${this.#idBase}-${this.#seq++}`,
      // the transaction timeout the broker keeps it open for (InitProducerId), and the
      // produce acknowledgement timeout — not a socket timeout
      timeout: this.#timeoutMs,
      // InitProducerId as a new producer: the client sends producer id 0 / epoch 0 by
      // default, which the broker refuses (PRODUCER_FENCED) for an id used before — as the
      // first id of a restored writer is (#abortLingering initialised it)
      producerId: -1n,
      producerEpoch: -1
    })
    try {
      this.#transaction = await producer.beginTransaction()
    } catch (err) {
      await producer.close(true).catch(() => {})
      throw new KafkaUnavailableError(`Cannot begin a Kafka transaction: ${errorMessage(err)}`, { cause: err })
    }
    this.#producer = producer
    this.#topics.clear()
  }

  /**
   * Adds every partition of the topics not in the transaction yet, once no request is in
   * flight: the client adds a request's new partitions itself, but two requests adding
   * different ones at once would share one AddPartitionsToTxn (its requests are deduplicated).
   */
  async #addTopics (messages: readonly MessageToProduce[]): Promise<void> {
    let fresh: Set<string> | undefined
    for (const m of messages) if (!this.#topics.has(m.topic)) (fresh ??= new Set()).add(m.topic)
    if (fresh === undefined) return
    await this.#inFlight.flush()
    try {
      const metadata = await this.#producer!.metadata({ topics: [...fresh] })
      const all: MessageRecord[] = []
      for (const topic of fresh) {
        const count = metadata.topics.get(topic)?.partitionsCount ?? 0
        for (let partition = 0; partition < count; partition++) all.push({ topic, partition, value: EMPTY })
      }
      await this.#transaction!.addPartitions(metadata, all)
    } catch (err) {
      throw wrapSendError(err)
    }
    for (const t of fresh) this.#topics.add(t)
  }

  async write (values: T[]): Promise<void> {
    this.#inFlight.check()
    const messages = messagesOf(this.#p, values)
    await this.#topicCheck.check(messages)
    if (this.#transaction === undefined) await this.#begin()
    await this.#addTopics(messages)
    for (const r of requests(messages, this.#batch)) await this.#inFlight.add(this.#transaction!.send({ messages: r }))
  }

  /** Pre-commit: every send was acknowledged; the transaction stays open and is handed over. */
  async prepareCommit (_checkpointId: number): Promise<unknown[]> {
    await this.#inFlight.flush()
    if (this.#lingering.size > 0) await this.#abortLingering()
    const producer = this.#producer
    let transaction: PreparedTransaction | null = null
    if (producer !== undefined) {
      transaction = { transactionalId: `${this.#idBase}-${this.#seq - 1}`, producerId: String(producer.producerId), epoch: producer.producerEpoch! }
      this.#producer = undefined
      this.#transaction = undefined
      // its connections only: the transaction stays open on the broker, committed by id
      await producer.close(true)
    }
    const committable: KafkaCommittable = { idBase: this.#idBase, next: this.#seq, transaction }
    return [committable]
  }

  async commit (committables: readonly unknown[]): Promise<void> {
    for (const c of committables) {
      const k = c as Partial<KafkaCommittable> | null
      if (typeof k !== 'object' || k === null || typeof k.idBase !== 'string' || !Number.isSafeInteger(k.next) || typeof k.transaction !== 'object') {
        throw new KafkaOptionsError(`Malformed Kafka sink committable: ${JSON.stringify(c)}`)
      }
      if (k.transaction !== null) await this.#coordinators.commit(k.transaction!)
      // restored committables (the engine commits them before any write): where ids may
      // linger; this writer's own later committables change nothing
      if (k.idBase !== this.#idBase || !this.#ownAborted) this.#lingering.set(k.idBase, Math.max(k.next!, this.#lingering.get(k.idBase) ?? 0))
    }
  }

  /** Without checkpoints: commit what was written at the end of the input. */
  async finish (): Promise<void> {
    await this.#inFlight.flush()
    if (this.#transaction === undefined) return
    try {
      await this.#transaction.commit()
    } catch (err) {
      throw new KafkaUnavailableError(`Cannot commit a Kafka transaction: ${errorMessage(err)}`, { cause: err })
    }
    this.#transaction = undefined
  }

  /** Aborts the open transaction (not pre-committed); pre-committed ones stay for a commit. */
  async close (): Promise<void> {
    // requests still in flight go before the abort, not after it (into no transaction)
    await this.#inFlight.settle(CLOSE_SETTLE_MS)
    const transaction = this.#transaction
    this.#transaction = undefined
    if (transaction !== undefined) await transaction.abort().catch((err: unknown) => { log('abort on close failed: %s', errorMessage(err)) })
    await this.#producer?.close(true).catch(() => {})
    this.#producer = undefined
    await this.#coordinators.close()
  }
}

/**
 * A sink writing each value as one Kafka record.
 *
 * @throws {KafkaOptionsError} at once, for missing or contradictory options
 * @throws {KafkaSerializationError} while running, for a value that cannot be serialized
 * @throws {KafkaTransactionLostError} while running, when pre-committed output cannot be committed
 * @example
 * stream.sinkTo(kafkaSink({ brokers: ['127.0.0.1:39092'], topic: 'alerts', serializer: 'json',
 *   key: a => a.store, delivery: 'exactly-once', transactionalIdPrefix: 'alerts-job' }))
 */
export function kafkaSink<T> (options: KafkaSinkOptions<T>): Sink<T> {
  const p = prepare(options)
  return {
    createWriter: context => (options.delivery ?? 'at-least-once') === 'exactly-once'
      ? new ExactlyOnceWriter(p, options, context)
      : new AtLeastOnceWriter(p, options, context)
  }
}
