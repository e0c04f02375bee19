/**
 * Amazon Kinesis Data Streams as a source and a sink (AWS SDK v3, over HTTP/1.1 so it also
 * talks to kinesalite). The source reads every shard of a stream, follows resharding with
 * per-key order kept, and checkpoints each shard's sequence number; the sink puts records
 * with PutRecords, at-least-once.
 *
 * @example
 * import { StreamEnvironment, WatermarkStrategy, OutputTag } from 'meshflow'
 * import { kinesisSource, kinesisSink, type KinesisDeadLetter } from 'meshflow/connectors/kinesis'
 *
 * // against kinesalite: test/services/kinesis.sh start
 * const endpoint = 'http://127.0.0.1:34567'
 * const env = StreamEnvironment.create({ parallelism: 2 })
 * env.enableCheckpointing(1_000)
 * const bad = new OutputTag<KinesisDeadLetter>('bad-records')
 * const orders = env.fromSource(kinesisSource<{ store: string, amount: number }>({
 *   stream: 'orders', region: 'us-east-1', endpoint, startingPosition: 'TRIM_HORIZON', deadLetter: bad
 * }), WatermarkStrategy.noWatermarks(), 'orders')
 * orders.filter(o => o.amount > 100)
 *   .sinkTo(kinesisSink({ stream: 'big-orders', region: 'us-east-1', endpoint, partitionKey: o => o.store }))
 * orders.sideOutput(bad).print('bad')
 * await env.execute('big-orders')   // unbounded: runs until cancelled
 */
export { kinesisSource, type KinesisSourceOptions, type KinesisStartingPosition, type KinesisDeadLetter } from './source.ts'
export { KinesisSourceReader } from './source-reader.ts'
export { kinesisSink, KinesisSinkWriter, type KinesisSinkOptions } from './sink.ts'
export type { KinesisSplit } from './shard-splits.ts'
export { hashKeyOf } from './shard-splits.ts'
export type { KinesisConnectionOptions, RetryStats } from './client.ts'
export type { KinesisDeserializer, KinesisSerializer, KinesisRecordInfo } from './serde.ts'
export * from './errors.ts'
