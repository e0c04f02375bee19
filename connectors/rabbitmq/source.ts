/**
 * `rabbitmqSource`: an unbounded source consuming one RabbitMQ queue, acknowledging each
 * message only when the checkpoint that covers it completes, so a failure redelivers it.
 * With `exactlyOnce` (one subtask, publisher-set message ids) redeliveries of messages the
 * restored checkpoint already holds are dropped, as in Flink's RMQSource.
 *
 * Splits: a queue cannot be partitioned, so a split is a consumer slot on the queue, not a
 * part of its data. A fresh start at parallelism p makes p splits (`consumer-0` …), and
 * each subtask with a split opens one consumer: the subtasks are competing consumers and
 * the broker hands each message to one of them. Their number is kept in state like any
 * split count: a restore at another parallelism reassigns them (p=2 -> 3 leaves one
 * subtask without a consumer; start the job fresh to change the number of consumers; in
 * at-least-once mode nothing is lost by that, unacked messages go back to the queue). The
 * state of a split is empty in at-least-once mode (delivery tags die with their channel);
 * with `exactlyOnce` it is the ids of messages emitted and not yet acked, and of those acked
 * within the last `idRetentionMs`.
 */
import type { ConsumeMessage } from 'amqplib'
import type { Source, SourceReader, SourceReaderContext, SourceSplit } from '../../node/api/source.ts'
import type { OutputTag } from '../../node/api/output-tag.ts'
import { InvalidArgumentError } from '../../node/api/errors.ts'
import { DEFAULT_HEARTBEAT_S, DEFAULT_ID_RETENTION_MS, DEFAULT_PREFETCH, DEFAULT_RECONNECT_MS } from './constants.ts'
import { ExactlyOnceParallelismError } from './errors.ts'
import { deserializerFn, type Deserializer, type DeserializerFn } from './serde.ts'
import { RabbitMQSourceReader } from './source-reader.ts'

/** A message the deserializer rejected, as sent to the dead-letter side output. */
export interface DeadLetter {
  readonly queue: string
  readonly deliveryTag: number
  /** The publisher-set id, when the message has one. */
  readonly messageId: string | undefined
  /** The body as UTF-8 text (invalid bytes replaced). */
  readonly text: string
  /** Why it could not be deserialized, naming the queue and delivery tag. */
  readonly error: string
}

export interface RabbitMQSourceOptions<T> {
  /** `amqp://user:password@host:port/vhost`. */
  readonly url: string
  /** The queue to consume; it must exist (declare it with its arguments where you own it). */
  readonly queue: string
  /**
   * Unacknowledged messages the broker hands each consumer (basic.qos, default 2 000).
   * Messages are acked when the checkpoint covering them completes, so this bounds what a
   * subtask reads per checkpoint interval: when it is reached the source waits until the
   * next checkpoint completes and its acks let the broker deliver more. Size it above the
   * messages one subtask reads per checkpoint interval, or throughput follows the interval.
   */
  readonly prefetch?: number
  /** `'json'` (default), `'string'`, `'bytes'`, or `(body, message) => record`. */
  readonly deserializer?: Deserializer<T>
  /**
   * Drop redeliveries of messages already emitted, by their publisher-set id (Flink's
   * RMQSource with correlation ids). Needs source parallelism 1, and an id on every message:
   * one without fails the job naming it.
   */
  readonly exactlyOnce?: boolean
  /**
   * `exactlyOnce`: how long ids of messages already acked stay in state to drop late
   * redeliveries (default 60 s). The broker requeues a lost consumer's messages only when it
   * notices the connection is gone (at once when the process dies, after about two heartbeats
   * when its machine does), so keep it above twice the heartbeat. The state holds the ids of
   * this long: size it against the message rate.
   */
  readonly idRetentionMs?: number
  /** The message property holding the id for `exactlyOnce`: `'messageId'` (default) or `'correlationId'` (Flink's choice). */
  readonly idProperty?: 'messageId' | 'correlationId'
  /**
   * Where messages the deserializer rejects go. Without it such a message fails the job
   * naming the queue and delivery tag (and is redelivered to the restarted job); with it the
   * message is emitted to this side output and acked with its checkpoint.
   */
  readonly deadLetter?: OutputTag<DeadLetter>
  /** How long a reader keeps reconnecting after losing the broker before it fails the job (default 30 s). */
  readonly reconnectMs?: number
  /** AMQP heartbeat in seconds (default 10): a broker that stops answering is noticed after about twice this. */
  readonly heartbeatS?: number
}

/** A consumer slot on the queue (see the module comment); with `exactlyOnce`, the ids its checkpoint holds. */
export interface RabbitMQSplit extends SourceSplit {
  readonly queue: string
  /** `exactlyOnce`: ids of messages emitted and not known to be acked (see AckTracker). */
  readonly ids?: readonly string[]
}

/** Options with defaults filled in, as the reader uses them. */
export interface ResolvedSourceOptions<T> {
  readonly url: string
  readonly queue: string
  readonly prefetch: number
  readonly deserialize: DeserializerFn<T>
  readonly exactlyOnce: boolean
  readonly idRetentionMs: number
  readonly idProperty: 'messageId' | 'correlationId'
  readonly deadLetter: OutputTag<DeadLetter> | undefined
  readonly reconnectMs: number
  readonly heartbeatS: number
}

function positiveInt (what: string, n: unknown, fallback: number): number {
  if (n === undefined) return fallback
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`rabbitmqSource ${what} must be a positive integer, got ${String(n)}`)
  return n
}

/** AMQP's basic.qos prefetch-count is a 16-bit number. */
const MAX_PREFETCH = 65_535

function prefetchOf (n: unknown): number {
  const prefetch = positiveInt('prefetch', n, DEFAULT_PREFETCH)
  if (prefetch > MAX_PREFETCH) throw new InvalidArgumentError(`rabbitmqSource prefetch must be at most ${MAX_PREFETCH} (AMQP's limit), got ${prefetch}`)
  return prefetch
}

/** Checks the options and fills in defaults. */
export function resolveSourceOptions<T> (options: RabbitMQSourceOptions<T>): ResolvedSourceOptions<T> {
  if (typeof options?.url !== 'string' || !/^amqps?:\/\//.test(options.url)) throw new InvalidArgumentError(`rabbitmqSource url must be an amqp:// or amqps:// URL, got ${String(options?.url)}`)
  if (typeof options.queue !== 'string' || options.queue.length === 0) throw new InvalidArgumentError('rabbitmqSource needs a queue name')
  const idProperty = options.idProperty ?? 'messageId'
  if (idProperty !== 'messageId' && idProperty !== 'correlationId') throw new InvalidArgumentError(`rabbitmqSource idProperty must be 'messageId' or 'correlationId', got ${String(idProperty)}`)
  let deserialize: DeserializerFn<T>
  try {
    deserialize = deserializerFn(options.deserializer)
  } catch (err) {
    throw new InvalidArgumentError(`rabbitmqSource ${(err as Error).message}`)
  }
  return {
    url: options.url,
    queue: options.queue,
    prefetch: prefetchOf(options.prefetch),
    deserialize,
    exactlyOnce: options.exactlyOnce === true,
    idRetentionMs: positiveInt('idRetentionMs', options.idRetentionMs, DEFAULT_ID_RETENTION_MS),
    idProperty,
    deadLetter: options.deadLetter,
    reconnectMs: positiveInt('reconnectMs', options.reconnectMs, DEFAULT_RECONNECT_MS),
    heartbeatS: positiveInt('heartbeatS', options.heartbeatS, DEFAULT_HEARTBEAT_S)
  }
}

/**
 * A source consuming `options.queue`.
 *
 * @example
 * env.enableCheckpointing(1_000)
 * env.fromSource(rabbitmqSource<Order>({ url: 'amqp://127.0.0.1:5672', queue: 'orders', prefetch: 5_000 }),
 *                WatermarkStrategy.forMonotonousTimestamps<Order>().withTimestampAssigner(o => o.ts), 'orders')
 */
export function rabbitmqSource<T = unknown> (options: RabbitMQSourceOptions<T>): Source<T, RabbitMQSplit> {
  const init = resolveSourceOptions(options)
  return {
    bounded: false,
    createSplits (parallelism: number): RabbitMQSplit[] {
      if (init.exactlyOnce && parallelism !== 1) throw new ExactlyOnceParallelismError(init.queue, parallelism)
      return Array.from({ length: parallelism }, (_, k) => ({ id: `consumer-${k}`, queue: init.queue, ...(init.exactlyOnce ? { ids: [] } : {}) }))
    },
    createReader (context: SourceReaderContext): SourceReader<T, RabbitMQSplit> {
      if (init.exactlyOnce && context.parallelism !== 1) throw new ExactlyOnceParallelismError(init.queue, context.parallelism)
      return new RabbitMQSourceReader<T>({ context }, init)
    }
  }
}

/** The id `exactlyOnce` deduplicates a message by, or undefined when it has none. */
export function messageIdOf (message: ConsumeMessage, property: 'messageId' | 'correlationId'): string | undefined {
  const id: unknown = message.properties[property]
  if (typeof id === 'string' && id.length > 0) return id
  return undefined
}
