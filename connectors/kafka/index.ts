/**
 * Apache Kafka source and sink, on @platformatic/kafka (chosen by measurement, and because
 * it exposes the protocol requests an exactly-once sink needs to commit a transaction by id
 * after a restore). Topic-partitions are the source's splits with checkpointed offsets;
 * the sink is at-least-once, or exactly-once through Kafka transactions.
 *
 * @example
 * import { StreamEnvironment, WatermarkStrategy } from 'meshflow'
 * import { kafkaSource, kafkaSink } from 'meshflow/connectors/kafka'
 *
 * const brokers = ['127.0.0.1:39092']
 * const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 1_000 })
 * env.fromSource(kafkaSource<{ store: string, amount: number }>({ brokers, topics: ['sales'], groupId: 'big-sales', deserializer: 'json' }),
 *   WatermarkStrategy.noWatermarks(), 'sales')
 *   .filter(s => s.amount > 100)
 *   .sinkTo(kafkaSink({ brokers, topic: 'big-sales', key: s => s.store, serializer: 'json',
 *     delivery: 'exactly-once', transactionalIdPrefix: 'big-sales' }))
 * await env.execute('big-sales')
 */
export { kafkaSource, type KafkaSourceOptions, type KafkaSplit, type StartingOffsets } from './source.ts'
export type { KafkaDeadLetter } from './source-reader.ts'
export { kafkaSink, type KafkaSinkOptions, type KafkaCommittable } from './sink.ts'
export type { KafkaRecord, KafkaDeserializer, KafkaSerializer } from './serde.ts'
export { ensureTopics, type KafkaTopicSpec } from './topics.ts'
export * from './errors.ts'
