/**
 * `kinesisSource`: a Kinesis data stream as an unbounded source. Shards are the splits and
 * the sequence number of the last record emitted from each is the checkpointed state, so a
 * restore resumes right after it (AFTER_SEQUENCE_NUMBER); resharding is followed as
 * shard-splits.ts describes.
 */
import type { Source, SourceReaderContext } from '../../node/api/source.ts'
import type { OutputTag } from '../../node/api/output-tag.ts'
import { call, createKinesisClient, listShards, type KinesisConnectionOptions } from './client.ts'
import { InvalidKinesisOptionError } from './errors.ts'
import { rootSplits, type KinesisSplit } from './shard-splits.ts'
import type { KinesisDeserializer } from './serde.ts'
import { KinesisSourceReader } from './source-reader.ts'
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis'

/**
 * Where a first start (no checkpoint or savepoint) begins in each shard: the oldest record
 * kept (`'TRIM_HORIZON'`), records arriving from now on (`'LATEST'`), or records that
 * arrived at or after a time.
 */
export type KinesisStartingPosition = 'TRIM_HORIZON' | 'LATEST' | { readonly timestamp: number | Date }

/** A record the deserializer rejected, sent to the `deadLetter` side output. */
export interface KinesisDeadLetter {
  readonly stream: string
  readonly shardId: string
  readonly sequenceNumber: string
  readonly partitionKey: string
  /** The record's body as read. */
  readonly data: Uint8Array
  /** Why it could not be deserialized, naming stream, shard and sequence number. */
  readonly error: string
}

export interface KinesisSourceOptions<T> extends KinesisConnectionOptions {
  /** Where a first start begins (default `'TRIM_HORIZON'`); a restore resumes from its state. */
  readonly startingPosition?: KinesisStartingPosition
  /** How record bodies become values (default `'json'`). */
  readonly deserializer?: KinesisDeserializer<T>
  /**
   * Where records the deserializer rejects go; without it such a record fails the job with
   * a MalformedKinesisRecordError naming stream, shard and sequence number.
   */
  readonly deadLetter?: OutputTag<KinesisDeadLetter>
  /** Wait between GetRecords calls of a shard that is caught up (default 250 ms). */
  readonly pollIntervalMs?: number
  /** Records per GetRecords call (default 1,000; at most 10,000). */
  readonly recordsPerFetch?: number
}

/**
 * A Kinesis data stream as an unbounded source.
 *
 * Guarantees: with checkpointing, every record is emitted exactly once into the job's
 * state (positions are checkpointed with it); records of one partition key keep their
 * order across resharding (SplitShard, MergeShards, UpdateShardCount). Throttling
 * (ProvisionedThroughputExceededException, LimitExceededException) backs off for as long
 * as it lasts; network errors and timeouts are retried for `retryTimeoutMs`, then the job
 * fails and restarts from its checkpoint. `'LATEST'` is fixed at the job's first start
 * (as a timestamp), so a restore does not skip what arrived in between.
 *
 * No periodic shard discovery is needed: every shard Kinesis adds is the child of a shard
 * it closes, and the reader of a closed shard lists its children when it reaches the end.
 * Watermarks are per shard (the reader reports each batch's shard, see
 * `SourceReader.lastSplitId`): a subtask's watermark is the minimum over its shards, a
 * shard quiet for `withIdleness` is left out, a closed shard read to its end is dropped,
 * and its children hold the watermark back from when they are added until their first
 * records (or idleness).
 *
 * @example
 * const clicks = env.fromSource(kinesisSource<Click>({ stream: 'clicks', region: 'eu-west-1' }),
 *   WatermarkStrategy.forBoundedOutOfOrderness<Click>(5_000).withTimestampAssigner(c => c.ts), 'clicks')
 */
export function kinesisSource<T> (options: KinesisSourceOptions<T>): Source<T, KinesisSplit> {
  const start = options.startingPosition ?? 'TRIM_HORIZON'
  if (start !== 'TRIM_HORIZON' && start !== 'LATEST' && !(typeof start === 'object' && start !== null && (typeof start.timestamp === 'number' || start.timestamp instanceof Date))) {
    throw new InvalidKinesisOptionError('startingPosition', `must be 'TRIM_HORIZON', 'LATEST' or { timestamp }, got ${JSON.stringify(start)}`)
  }
  const fetch = options.recordsPerFetch
  if (fetch !== undefined && (!Number.isInteger(fetch) || fetch < 1 || fetch > 10_000)) {
    throw new InvalidKinesisOptionError('recordsPerFetch', `must be an integer from 1 to 10000, got ${fetch}`)
  }
  createKinesisClient(options).destroy()   // checks stream, region and endpoint now, not in a task
  return {
    bounded: false,
    async createSplits (_parallelism, context): Promise<KinesisSplit[]> {
      const startTimestamp = start === 'TRIM_HORIZON'
        ? undefined
        : start === 'LATEST' ? Date.now() : Number(start.timestamp instanceof Date ? start.timestamp.getTime() : start.timestamp)
      const client = createKinesisClient(options)
      const signal = context?.signal ?? new AbortController().signal
      const retry = { signal, ...(options.retryTimeoutMs === undefined ? {} : { retryTimeoutMs: options.retryTimeoutMs }) }
      try {
        // fails early and clearly when the stream does not exist
        await call('DescribeStreamSummary', options.stream, abortSignal =>
          client.send(new DescribeStreamSummaryCommand({ StreamName: options.stream }), { abortSignal }), retry)
        return rootSplits(options.stream, await listShards(client, options.stream, retry), startTimestamp)
      } finally {
        client.destroy()
      }
    },
    createReader (context: SourceReaderContext) {
      return new KinesisSourceReader<T>({ context }, options)
    }
  }
}
