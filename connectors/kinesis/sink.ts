/**
 * `kinesisSink`: writes a stream's records into a Kinesis data stream with PutRecords,
 * at-least-once. Kinesis has no transactions, so nothing can be held back until a
 * checkpoint completes: every record a writer is given is put and confirmed (partial
 * failures retried) before the write returns, so a checkpoint (which waits for writes)
 * covers only confirmed records, and records written after the last completed checkpoint
 * are written again after a restore.
 */
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Sink, SinkWriter, SinkWriterContext } from '../../node/api/sink.ts'
import { Backoff, call, createKinesisClient, type KinesisConnectionOptions, type RetryStats } from './client.ts'
import { DEFAULT_RETRY_TIMEOUT_MS, MAX_BYTES_PER_PUT, MAX_PARTITION_KEY_LENGTH, MAX_RECORDS_PER_PUT, MAX_RECORD_BYTES } from './constants.ts'
import { InvalidKinesisOptionError, InvalidPartitionKeyError, PutRecordsFailedError, RecordTooLargeError } from './errors.ts'
import { toSerialize, type KinesisSerializer } from './serde.ts'

export interface KinesisSinkOptions<T> extends KinesisConnectionOptions {
  /** The partition key of a record (1 to 256 characters): records of one key go to one shard. */
  readonly partitionKey: (value: T) => string
  /** How values become record bodies (default `'json'`). */
  readonly serializer?: KinesisSerializer<T>
}

/**
 * A Kinesis data stream as a sink, at-least-once (Kinesis has no transactions: after a
 * failure, records written since the last completed checkpoint are written again).
 *
 * Records are put in PutRecords calls within the service's limits (500 records and 5 MiB
 * a call; a record of more than 1 MiB fails the job naming its partition key), one call in
 * flight per subtask. Records Kinesis rejects in a call (FailedRecordCount, e.g. throttled
 * shards) are put again with backoff for `retryTimeoutMs` (default 60 s), then the job
 * fails. A retried record may land after later records of its key: order per key holds
 * only while nothing is retried.
 *
 * @example
 * alerts.sinkTo(kinesisSink<Alert>({ stream: 'alerts', region: 'eu-west-1', partitionKey: a => a.store }))
 */
export function kinesisSink<T> (options: KinesisSinkOptions<T>): Sink<T> {
  if (typeof options.partitionKey !== 'function') throw new InvalidKinesisOptionError('partitionKey', 'must be a function of the record')
  createKinesisClient(options).destroy()   // checks stream, region and endpoint now
  return {
    createWriter: (context: SinkWriterContext) => new KinesisSinkWriter<T>({ signal: context.signal }, options)
  }
}

export interface KinesisSinkWriterComponents {
  readonly signal: AbortSignal
}

/** Puts one subtask's records. */
export class KinesisSinkWriter<T> implements SinkWriter<T> {
  readonly #options: KinesisSinkOptions<T>
  readonly #serialize: (value: T) => Uint8Array
  readonly #client: KinesisClient
  readonly #signal: AbortSignal
  /** Calls and records retried (tests read it). */
  readonly stats: RetryStats & { failedRecords: number } = { throttled: 0, transient: 0, failedRecords: 0 }

  constructor (components: KinesisSinkWriterComponents, init: KinesisSinkOptions<T>) {
    this.#options = init
    this.#serialize = toSerialize(init.serializer)
    this.#client = createKinesisClient(init)
    this.#signal = components.signal
  }

  /** Puts `values` and resolves once Kinesis confirmed every one of them. */
  async write (values: T[]): Promise<void> {
    const stream = this.#options.stream
    let batch: PutRecordsRequestEntry[] = []
    let bytes = 0
    for (const value of values) {
      const key = this.#options.partitionKey(value)
      if (typeof key !== 'string' || key.length === 0 || key.length > MAX_PARTITION_KEY_LENGTH) throw new InvalidPartitionKeyError(stream, key)
      const data = this.#serialize(value)
      const size = data.byteLength + Buffer.byteLength(key)
      if (size > MAX_RECORD_BYTES) throw new RecordTooLargeError(stream, key, size, MAX_RECORD_BYTES)
      if (batch.length === MAX_RECORDS_PER_PUT || bytes + size > MAX_BYTES_PER_PUT) {
        await this.#put(batch)
        batch = []
        bytes = 0
      }
      batch.push({ Data: data, PartitionKey: key })
      bytes += size
    }
    if (batch.length > 0) await this.#put(batch)
  }

  /** One PutRecords call, then the records it rejected again until none is left. */
  async #put (entries: PutRecordsRequestEntry[]): Promise<void> {
    const stream = this.#options.stream
    const retryMs = this.#options.retryTimeoutMs ?? DEFAULT_RETRY_TIMEOUT_MS
    const retry = { signal: this.#signal, retryTimeoutMs: retryMs, stats: this.stats }
    const since = Date.now()
    const backoff = new Backoff()
    let pending = entries
    for (;;) {
      const records = pending
      const answer = await call('PutRecords', stream, abortSignal =>
        this.#client.send(new PutRecordsCommand({ StreamName: stream, Records: records }), { abortSignal }), retry)
      if ((answer.FailedRecordCount ?? 0) === 0) return
      const results = answer.Records ?? []
      const failed: PutRecordsRequestEntry[] = []
      let example = ''
      records.forEach((r, i) => {
        const result = results[i]
        if (result?.ErrorCode === undefined) return
        failed.push(r)
        if (example === '') example = `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`
      })
      this.stats.failedRecords += failed.length
      if (failed.length === 0) return
      if (Date.now() - since > retryMs) throw new PutRecordsFailedError(stream, failed.length, Date.now() - since, example)
      pending = failed
      await sleep(backoff.next(), undefined, { signal: this.#signal })
    }
  }

  /** Nothing is buffered: every write was confirmed before it returned. */
  finish (): void {}

  close (): void {
    this.#client.destroy()
  }
}
