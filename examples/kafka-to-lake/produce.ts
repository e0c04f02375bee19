/**
 * Puts sample sales on the `sales` topic (creating it with 4 partitions when missing): the
 * deterministic sales of examples/retail-sales, keyed by store, through meshflow's own Kafka
 * sink.
 *
 *   npx meshflow run examples/kafka-to-lake/produce.ts -- --count 100000 [--brokers 127.0.0.1:39092] [--sales sales]
 */
import { defineJob, WatermarkStrategy } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { ensureTopics, kafkaSink } from 'meshflow/connectors/kafka'
import { sale, type Sale } from '../retail-sales/sales.ts'
import { optionsOf } from './options.ts'

export const SALES_PARTITIONS = 4

export default defineJob(async (env, args) => {
  const o = optionsOf(args)
  await ensureTopics(o.brokers, [{ name: o.salesTopic, partitions: SALES_PARTITIONS }])
  env.fromSource(datagen<Sale>({ count: o.count, generate: i => sale(i, o.count) }), WatermarkStrategy.noWatermarks(), 'sales')
    .sinkTo(kafkaSink<Sale>({ brokers: o.brokers, topic: o.salesTopic, key: s => s.store, serializer: 'json', delivery: 'at-least-once' }))
    .name('to-kafka')
})
