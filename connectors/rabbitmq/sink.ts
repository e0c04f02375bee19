/**
 * `rabbitmqSink`: publishes every record to an exchange with publisher confirms. At-least-
 * once: a checkpoint (and the end of input) waits until the broker has confirmed everything
 * published before it, so a completed checkpoint never loses output; records published
 * after it are published again by a restored job (RabbitMQ has no transactions that span a
 * checkpoint, so duplicates are possible — give messages ids and deduplicate downstream, or
 * read with `rabbitmqSource({ exactlyOnce: true })`).
 */
import type { Options } from 'amqplib'
import type { Sink, SinkWriter, SinkWriterContext } from '../../node/api/sink.ts'
import { InvalidArgumentError } from '../../node/api/errors.ts'
import { DEFAULT_HEARTBEAT_S, DEFAULT_MAX_IN_FLIGHT, DEFAULT_RECONNECT_MS } from './constants.ts'
import { serializerFn, type Serializer } from './serde.ts'
import { RabbitMQSinkWriter } from './sink-writer.ts'

export interface RabbitMQSinkOptions<T> {
  /** `amqp://user:password@host:port/vhost`. */
  readonly url: string
  /** The exchange to publish to; `''` is the default exchange, which routes by queue name. */
  readonly exchange: string
  /** The routing key of every message, or a function of the record. */
  readonly routingKey: string | ((value: T) => string)
  /** `'json'` (default), `'string'`, `'bytes'`, or `value => string | Uint8Array`. */
  readonly serializer?: Serializer<T>
  /** Mark messages persistent (delivery mode 2) so a durable queue keeps them across a broker restart (default true). */
  readonly persistent?: boolean
  /** More properties per message: a `messageId` here lets `rabbitmqSource({ exactlyOnce })` drop redeliveries. */
  readonly properties?: (value: T) => Options.Publish
  /** Published messages waiting for their confirm before a write waits (default 1 000). */
  readonly maxInFlight?: number
  /** How long a writer keeps reconnecting after losing the broker before it fails the job (default 30 s). */
  readonly reconnectMs?: number
  /** AMQP heartbeat in seconds (default 10). */
  readonly heartbeatS?: number
}

/** Options with defaults filled in, as the writer uses them. */
export interface ResolvedSinkOptions<T> {
  readonly url: string
  readonly exchange: string
  readonly routingKey: (value: T) => string
  readonly serialize: (value: T) => Buffer
  readonly persistent: boolean
  readonly properties: ((value: T) => Options.Publish) | undefined
  readonly maxInFlight: number
  readonly reconnectMs: number
  readonly heartbeatS: number
}

function positiveInt (what: string, n: unknown, fallback: number): number {
  if (n === undefined) return fallback
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`rabbitmqSink ${what} must be a positive integer, got ${String(n)}`)
  return n
}

/** Checks the options and fills in defaults. */
export function resolveSinkOptions<T> (options: RabbitMQSinkOptions<T>): ResolvedSinkOptions<T> {
  if (typeof options?.url !== 'string' || !/^amqps?:\/\//.test(options.url)) throw new InvalidArgumentError(`rabbitmqSink url must be an amqp:// or amqps:// URL, got ${String(options?.url)}`)
  if (typeof options.exchange !== 'string') throw new InvalidArgumentError('rabbitmqSink needs an exchange (\'\' for the default exchange)')
  const key = options.routingKey
  if (typeof key !== 'string' && typeof key !== 'function') throw new InvalidArgumentError('rabbitmqSink routingKey must be a string or a function of the record')
  if (options.properties !== undefined && typeof options.properties !== 'function') throw new InvalidArgumentError('rabbitmqSink properties must be a function of the record')
  let serialize: (value: T) => Buffer
  try {
    serialize = serializerFn(options.serializer)
  } catch (err) {
    throw new InvalidArgumentError(`rabbitmqSink ${(err as Error).message}`)
  }
  return {
    url: options.url,
    exchange: options.exchange,
    routingKey: typeof key === 'string' ? () => key : key,
    serialize,
    persistent: options.persistent !== false,
    properties: options.properties,
    maxInFlight: positiveInt('maxInFlight', options.maxInFlight, DEFAULT_MAX_IN_FLIGHT),
    reconnectMs: positiveInt('reconnectMs', options.reconnectMs, DEFAULT_RECONNECT_MS),
    heartbeatS: positiveInt('heartbeatS', options.heartbeatS, DEFAULT_HEARTBEAT_S)
  }
}

/**
 * A sink publishing to `options.exchange`.
 *
 * @example
 * alerts.sinkTo(rabbitmqSink<Alert>({ url: 'amqp://127.0.0.1:5672', exchange: 'alerts', routingKey: a => a.store }))
 */
export function rabbitmqSink<T = unknown> (options: RabbitMQSinkOptions<T>): Sink<T> {
  const init = resolveSinkOptions(options)
  return {
    createWriter (context: SinkWriterContext): SinkWriter<T> {
      return new RabbitMQSinkWriter<T>({ signal: context.signal }, init)
    }
  }
}
