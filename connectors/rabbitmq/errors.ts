/**
 * Errors of the RabbitMQ connector. Match on `err.name`. Every error says whose fault it is
 * (`domain`: the user's data or options, the broker, or ours) and whether running the same
 * thing again can help (`retriable`), as the file connector's errors do.
 */
import { errorMessage } from '../../protocol/error-message.ts'

/** Whose fault an error is. */
import { ConnectorError, type ErrorDomain } from '../../node/api/connector-error.ts'

export type { ErrorDomain }

/** Base of every RabbitMQ connector error. */
export class RabbitMQConnectorError extends ConnectorError {
  constructor (message = 'RabbitMQ connector failed', domain: ErrorDomain = 'internal', retriable = false, options?: ErrorOptions) {
    super(message, domain, retriable, options)
    this.name = 'RabbitMQConnectorError'
  }
}

/**
 * The broker could not be reached, or the connection was lost and reconnecting did not
 * succeed within `reconnectMs`. The broker's (or the network's); the job restarts from its
 * last checkpoint, and a retry helps once the broker is back.
 */
export class RabbitMQConnectionError extends RabbitMQConnectorError {
  readonly url: string
  constructor (url: string, what: string, options?: ErrorOptions) {
    super(`RabbitMQ at ${url} ${what}: ${errorMessage(options?.cause)}`, 'external', true, options)
    this.name = 'RabbitMQConnectionError'
    this.url = url
  }
}

/**
 * The broker refused an operation on a queue or an exchange: it does not exist, access is
 * refused, or its arguments differ. The user's configuration; retrying does not help.
 */
export class RabbitMQResourceError extends RabbitMQConnectorError {
  constructor (what: string, options?: ErrorOptions) {
    super(`${what}: ${errorMessage(options?.cause)}`, 'user', false, options)
    this.name = 'RabbitMQResourceError'
  }
}

/**
 * A message cannot be turned into a record by the deserializer (bad JSON, or the user's
 * function threw). The user's data: the message is redelivered to the restarted job and
 * fails it again, unless a `deadLetter` output takes it.
 */
export class MalformedMessageError extends RabbitMQConnectorError {
  readonly queue: string
  readonly deliveryTag: number
  readonly messageId: string | undefined
  readonly reason: string
  constructor (queue: string, deliveryTag: number, messageId: string | undefined, reason: string, options?: ErrorOptions) {
    super(`Malformed message in queue ${queue} delivery tag ${deliveryTag}${messageId === undefined ? '' : ` (message id ${messageId})`}: ${reason}`, 'user', false, options)
    this.name = 'MalformedMessageError'
    this.queue = queue
    this.deliveryTag = deliveryTag
    this.messageId = messageId
    this.reason = reason
  }
}

/**
 * `exactlyOnce` needs every message to carry a publisher-set id (the `messageId` property,
 * or the one `idProperty` names) to drop redeliveries; this one has none. The publisher's;
 * retrying reads the same message.
 */
export class MissingMessageIdError extends RabbitMQConnectorError {
  readonly queue: string
  readonly deliveryTag: number
  constructor (queue: string, deliveryTag: number, property: string, options?: ErrorOptions) {
    super(`Message in queue ${queue} delivery tag ${deliveryTag} has no ${property}: exactlyOnce needs publishers to set one on every message`, 'user', false, options)
    this.name = 'MissingMessageIdError'
    this.queue = queue
    this.deliveryTag = deliveryTag
  }
}

/**
 * `exactlyOnce` runs with more than one source subtask. Competing consumers share a queue's
 * messages, and a redelivery may reach another subtask that has never seen its id, so ids
 * cannot be deduplicated. The user's job; set the source's parallelism to 1.
 */
export class ExactlyOnceParallelismError extends RabbitMQConnectorError {
  constructor (queue: string, parallelism: number, options?: ErrorOptions) {
    super(`rabbitmqSource on queue ${queue} with exactlyOnce needs parallelism 1, got ${parallelism} (set it with .setParallelism(1) on the source)`, 'user', false, options)
    this.name = 'ExactlyOnceParallelismError'
  }
}

/**
 * The broker nacked a published message (it could not take responsibility for it: an
 * internal error of the queue, or a queue length limit with `overflow: reject-publish`).
 * The broker's; the job restarts from its checkpoint and publishes it again.
 */
export class PublishNackedError extends RabbitMQConnectorError {
  readonly exchange: string
  readonly routingKey: string
  constructor (exchange: string, routingKey: string, options?: ErrorOptions) {
    super(`RabbitMQ nacked a message published to exchange '${exchange}' with routing key '${routingKey}'`, 'external', true, options)
    this.name = 'PublishNackedError'
    this.exchange = exchange
    this.routingKey = routingKey
  }
}

/** A record cannot be serialized, or the routing key function failed. The user's; retrying fails again. */
export class SerializationError extends RabbitMQConnectorError {
  constructor (reason: string, options?: ErrorOptions) {
    super(`Cannot publish a record: ${reason}`, 'user', false, options)
    this.name = 'SerializationError'
  }
}

/** A restored split is not one this source wrote. Ours (or another source's state restored into this one). */
export class InvalidSplitError extends RabbitMQConnectorError {
  constructor (reason: string, options?: ErrorOptions) {
    super(`Invalid RabbitMQ source split: ${reason}`, 'internal', false, options)
    this.name = 'InvalidSplitError'
  }
}

/** True when an amqplib error is the broker refusing a queue/exchange (404, 403, 406 …), not a lost connection. */
export function isResourceRefusal (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 404 || code === 403 || code === 406 || code === 405
}
