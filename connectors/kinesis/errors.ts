/**
 * Errors of the Kinesis connector. Match on `err.name`. Every error says whose fault it is
 * (`domain`: the user's data or options, the Kinesis service, or ours) and whether running
 * the same thing again can help (`retriable`).
 */
import { errorMessage } from '../../protocol/error-message.ts'

/** Whose fault an error is. */
import { ConnectorError, type ErrorDomain } from '../../node/api/connector-error.ts'

export type { ErrorDomain }

/** Base of every Kinesis connector error. */
export class KinesisConnectorError extends ConnectorError {
  constructor (message = 'Kinesis connector failed', domain: ErrorDomain = 'internal', retriable = false, options?: ErrorOptions) {
    super(message, domain, retriable, options)
    this.name = 'KinesisConnectorError'
  }
}

/** An option of kinesisSource/kinesisSink is missing or wrong. The user's. */
export class InvalidKinesisOptionError extends KinesisConnectorError {
  readonly option: string
  constructor (option: string, reason: string, options?: ErrorOptions) {
    super(`Kinesis option '${option}' ${reason}`, 'user', false, options)
    this.name = 'InvalidKinesisOptionError'
    this.option = option
  }
}

/**
 * Kinesis did not answer (network error, timeout, 5xx) for longer than the retry timeout.
 * The service's; a restart of the job from its checkpoint may succeed.
 */
export class KinesisUnavailableError extends KinesisConnectorError {
  readonly operation: string
  constructor (operation: string, stream: string, ms: number, cause: unknown) {
    super(`Kinesis did not answer ${operation} on stream ${stream} for ${ms} ms: ${errorMessage(cause)}`, 'external', true, { cause })
    this.name = 'KinesisUnavailableError'
    this.operation = operation
  }
}

/**
 * Kinesis refused a call for a reason retrying does not change (stream not found, access
 * denied, invalid argument). Usually the user's (a wrong stream name or credentials).
 */
export class KinesisRequestError extends KinesisConnectorError {
  readonly operation: string
  /** The service's error code, e.g. `ResourceNotFoundException`. */
  readonly code: string
  constructor (operation: string, stream: string, code: string, cause: unknown) {
    const domain: ErrorDomain = /NotFound|AccessDenied|Unrecognized|InvalidSignature|Security|KMS/.test(code) ? 'user' : 'external'
    super(`Kinesis refused ${operation} on stream ${stream}: ${code}: ${errorMessage(cause)}`, domain, false, { cause })
    this.name = 'KinesisRequestError'
    this.operation = operation
    this.code = code
  }
}

/** A record the deserializer rejected. The user's data; reading it again gives the same. */
export class MalformedKinesisRecordError extends KinesisConnectorError {
  readonly stream: string
  readonly shardId: string
  readonly sequenceNumber: string
  constructor (stream: string, shardId: string, sequenceNumber: string, reason: string, options?: ErrorOptions) {
    super(`Malformed record in stream ${stream} shard ${shardId} sequence ${sequenceNumber}: ${reason}`, 'user', false, options)
    this.name = 'MalformedKinesisRecordError'
    this.stream = stream
    this.shardId = shardId
    this.sequenceNumber = sequenceNumber
  }
}

/** A record is larger than Kinesis takes (1 MiB of data and partition key). The user's. */
export class RecordTooLargeError extends KinesisConnectorError {
  readonly bytes: number
  readonly partitionKey: string
  constructor (stream: string, partitionKey: string, bytes: number, limit: number) {
    super(`A record for stream ${stream} with partition key '${partitionKey}' is ${bytes} bytes; Kinesis takes at most ${limit} (data and partition key)`, 'user', false)
    this.name = 'RecordTooLargeError'
    this.bytes = bytes
    this.partitionKey = partitionKey
  }
}

/** A partition key is empty or longer than 256 characters. The user's (the partitionKey function). */
export class InvalidPartitionKeyError extends KinesisConnectorError {
  constructor (stream: string, key: unknown) {
    super(`The partitionKey function gave ${typeof key === 'string' ? `'${key.slice(0, 40)}'${key.length > 40 ? `… (${key.length} characters)` : ''}` : String(key)} for stream ${stream}; Kinesis takes a string of 1 to 256 characters`, 'user', false)
    this.name = 'InvalidPartitionKeyError'
  }
}

/**
 * Records of a PutRecords call still failed (FailedRecordCount > 0) after retrying for the
 * retry timeout. The service's (throttling or internal failures); a restart may succeed.
 */
export class PutRecordsFailedError extends KinesisConnectorError {
  readonly failed: number
  constructor (stream: string, failed: number, ms: number, example: string) {
    super(`${failed} records for stream ${stream} still failed after retrying for ${ms} ms (${example})`, 'external', true)
    this.name = 'PutRecordsFailedError'
    this.failed = failed
  }
}

/** A closed shard was read to its end but Kinesis listed no child shard for it. The service's. */
export class ChildShardsNotFoundError extends KinesisConnectorError {
  constructor (stream: string, shardId: string, ms: number) {
    super(`Shard ${shardId} of stream ${stream} ended but Kinesis listed no child shard within ${ms} ms`, 'external', true)
    this.name = 'ChildShardsNotFoundError'
  }
}
