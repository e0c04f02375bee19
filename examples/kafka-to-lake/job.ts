/**
 * Kafka to the data lake: sales events from a Kafka topic → revenue per store per minute in
 * event time → Parquet files in Hive-style folders (`dt=…/store=…/part-….parquet`), and an
 * alert on a Kafka topic for every store-minute above a threshold. Both sinks are exactly
 * once under checkpoints: the lake's part files appear when the checkpoint that holds them
 * completes, and the alerts are written in Kafka transactions committed then.
 *
 *   npx meshflow run examples/kafka-to-lake/job.ts [--mesh MA] [--parallelism 2] -- \
 *     --brokers 127.0.0.1:39092 --lake out/lake [--sales sales] [--alerts store-alerts] [--alert-above 3000] [--bounded true]
 *
 * `buildKafkaToLake` declares the pipeline and returns its two result streams, so a test can
 * give them other sinks.
 */
import { defineJob, TumblingEventTimeWindows, WatermarkStrategy, type DataStream, type StreamEnvironment } from 'meshflow'
import { ensureTopics, kafkaSink, kafkaSource } from 'meshflow/connectors/kafka'
import { parquetSink } from 'meshflow/connectors/files'
import type { Sale } from '../retail-sales/sales.ts'
import { totals } from '../retail-sales/job.ts'
import { optionsOf, type KafkaToLakeOptions } from './options.ts'

export const MINUTE_MS = 60_000
/**
 * How far behind the newest sale of a partition its watermark stays (watermarks are per
 * partition; the subtask's is their minimum). More than the sales' own 2 s of jitter: the
 * producer job's parallel subtasks append their batches to a partition interleaved, each
 * batch spanning seconds of event time.
 */
export const OUT_OF_ORDERNESS_MS = 2 * MINUTE_MS

/** One row of the lake: a store's revenue in one minute (`dt` and `store` name its folder). */
export interface LakeRow {
  /** The day, `YYYY-MM-DD` (UTC). */
  readonly dt: string
  readonly store: string
  /** Window start, ISO 8601. */
  readonly window: string
  readonly revenue: number
  readonly sales: number
}

/** A store-minute whose revenue passed the threshold. */
export interface Alert {
  readonly store: string
  readonly window: string
  readonly revenue: number
}

/** Declares the pipeline on `env` and returns the lake rows and the alerts. */
export function buildKafkaToLake (env: StreamEnvironment, o: KafkaToLakeOptions): { rows: DataStream<LakeRow>, alerts: DataStream<Alert> } {
  const rows = env
    .fromSource(kafkaSource<Sale>({
      brokers: o.brokers,
      topics: [o.salesTopic],
      groupId: 'kafka-to-lake',
      startingOffsets: 'earliest',
      ...(o.bounded ? { stoppingOffsets: 'latest' as const } : {}),
      deserializer: 'json'
    }), WatermarkStrategy.forBoundedOutOfOrderness<Sale>(OUT_OF_ORDERNESS_MS).withTimestampAssigner(s => s.ts), 'sales')
    .uid('sales')
    .filter(s => s.amount > 0).name('drop-returns')
    .keyBy(s => s.store)
    .window(TumblingEventTimeWindows.of(MINUTE_MS))
    .aggregate(totals, (store, w, t): LakeRow => {
      const window = new Date(w.start).toISOString()
      return { dt: window.slice(0, 10), store: String(store), window, revenue: t.cents / 100, sales: t.sales }
    })
    .uid('revenue-per-store')
  const alerts = rows
    .filter(r => r.revenue > o.alertAbove).name('above-threshold')
    .map((r): Alert => ({ store: r.store, window: r.window, revenue: r.revenue })).name('alert')
  return { rows, alerts }
}

export const ALERTS_PARTITIONS = 2

export default defineJob(async (env, args) => {
  const o = optionsOf(args)
  // every peer builds the job: creating a topic that exists is a no-op
  await ensureTopics(o.brokers, [{ name: o.alertsTopic, partitions: ALERTS_PARTITIONS }])
  env.enableCheckpointing(1_000)
  const { rows, alerts } = buildKafkaToLake(env, o)
  rows.sinkTo(parquetSink({ path: o.lake, partitionBy: ['dt', 'store'] })).uid('lake')
  alerts.sinkTo(kafkaSink<Alert>({
    brokers: o.brokers,
    topic: o.alertsTopic,
    key: a => a.store,
    serializer: 'json',
    delivery: 'exactly-once',
    transactionalIdPrefix: `kafka-to-lake-${o.alertsTopic}`
  })).uid('alerts')
})
