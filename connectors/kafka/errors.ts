/**
 * Errors of the Kafka connector. Match on `err.name`. Every error says whose fault it is
 * (`domain`: the user's data or options, the Kafka cluster, or ours) and whether running
 * the same thing again can help (`retriable`), as the file connector's errors do.
 */
import { ConnectorError, type ErrorDomain } from '../../node/api/connector-error.ts'

export type { ErrorDomain }

/** Base of every Kafka connector error. */
export class KafkaConnectorError extends ConnectorError {
  constructor (message = 'Kafka connector failed', domain: ErrorDomain = 'internal', retriable = false, options?: ErrorOptions) {
    super(message, domain, retriable, options)
    this.name = 'KafkaConnectorError'
  }
}

/** The options of kafkaSource or kafkaSink are wrong. The user's; retrying does not help. */
export class KafkaOptionsError extends KafkaConnectorError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, 'user', false, options)
    this.name = 'KafkaOptionsError'
  }
}

/** A topic the source should read (or the sink write) does not exist. The user's. */
export class KafkaTopicNotFoundError extends KafkaConnectorError {
  readonly topic: string
  constructor (topic: string, options?: ErrorOptions) {
    super(`Kafka topic ${topic} does not exist`, 'user', false, options)
    this.name = 'KafkaTopicNotFoundError'
    this.topic = topic
  }
}

/**
 * A record could not be deserialized (bad JSON, a deserializer that threw) and the source
 * has no dead-letter output. Names the record's topic, partition and offset. The data's
 * fault: a restart reads the same record again.
 */
export class KafkaRecordError extends KafkaConnectorError {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  constructor (topic: string, partition: number, offset: number, reason: string, options?: ErrorOptions) {
    super(`Bad record in topic ${topic} partition ${partition} offset ${offset}: ${reason}`, 'user', false, options)
    this.name = 'KafkaRecordError'
    this.topic = topic
    this.partition = partition
    this.offset = offset
  }
}

/**
 * The position of a split is no longer in its partition (retention deleted the records,
 * or the topic was recreated): reading on would silently skip data. The cluster's state;
 * restoring an older checkpoint does not help.
 */
export class KafkaOffsetOutOfRangeError extends KafkaConnectorError {
  constructor (topic: string, partition: number, offset: number, options?: ErrorOptions) {
    super(`Offset ${offset} is out of range in topic ${topic} partition ${partition} (deleted by retention, or the topic was recreated)`, 'external', false, options)
    this.name = 'KafkaOffsetOutOfRangeError'
  }
}

/**
 * A value could not be serialized, or the topic selector or key function threw. The
 * user's code or data; a restart writes the same value again.
 */
export class KafkaSerializationError extends KafkaConnectorError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, 'user', false, options)
    this.name = 'KafkaSerializationError'
  }
}

/**
 * A pre-committed transaction could not be committed: the broker aborted it (it stayed
 * open longer than `transactionTimeoutMs`) or its transactional id expired. Its output is
 * lost, so the job fails instead of going on silently.
 */
export class KafkaTransactionLostError extends KafkaConnectorError {
  readonly transactionalId: string
  constructor (transactionalId: string, reason: string, options?: ErrorOptions) {
    super(`Kafka transaction ${transactionalId} cannot be committed: ${reason}`, 'external', false, options)
    this.name = 'KafkaTransactionLostError'
    this.transactionalId = transactionalId
  }
}

/** The cluster did not answer or failed a request; a restart (after it recovers) may succeed. */
export class KafkaUnavailableError extends KafkaConnectorError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, 'external', true, options)
    this.name = 'KafkaUnavailableError'
  }
}
