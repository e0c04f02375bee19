/**
 * Retail history, part 1: the stream of sales (examples/retail-sales/sales.ts) lands in the
 * dataset `sales`, exactly once, through `datasetSink` with checkpoints: every completed
 * checkpoint appends one version, and a failure neither loses nor doubles a sale.
 *
 *   meshflow run examples/retail-history/land-sales.ts [-- --count 200000 --day 2024-03-01 --rate 100000]
 *
 * `--day` moves the stream's ten minutes of event time to that day (default 2024-03-01),
 * so landing several days builds up a history; `--rate` paces the source (sales per
 * second) so that checkpoints happen while it runs.
 */
import { datasetSink, defineJob, WatermarkStrategy, type JobArgs, type StreamEnvironment } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { countOf } from '../retail-sales/job.ts'
import { sale, START_MS, type Sale } from '../retail-sales/sales.ts'

export const DAY_MS = 86_400_000

/** The columns of dataset `sales`. */
export const SALES_SCHEMA = {
  columns: [
    { name: 'id', type: 'number' as const },
    { name: 'store', type: 'string' as const },
    { name: 'product', type: 'string' as const },
    { name: 'amount', type: 'number' as const },
    { name: 'ts', type: 'timestamp' as const }
  ]
}

/** Reads `--day YYYY-MM-DD` (default 2024-03-01): the offset of event time from START_MS. */
export function dayOffsetOf (args: JobArgs): number {
  const raw = args.day
  if (raw === undefined) return 0
  const day = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? Date.parse(`${raw}T00:00:00Z`) : Number.NaN
  if (Number.isNaN(day)) throw new RangeError(`--day needs a date as YYYY-MM-DD, got '${raw}'`)
  return day - (START_MS - START_MS % DAY_MS)
}

/** Sale `i` of `count` on the day `offsetMs` after the example's first day. */
export function saleOn (i: number, count: number, offsetMs: number): Sale {
  const s = sale(i, count)
  return offsetMs === 0 ? s : { ...s, ts: s.ts + offsetMs }
}

/** Declares the landing job on `env`: sales, paced at `ratePerSec`, appended to dataset `name`. */
export function buildLandSales (env: StreamEnvironment, options: { count: number, offsetMs?: number, ratePerSec?: number, name?: string }): void {
  const { count, offsetMs = 0 } = options
  env.fromSource(datagen({ count, generate: i => saleOn(i, count, offsetMs), ...(options.ratePerSec === undefined ? {} : { ratePerSec: options.ratePerSec }) }),
    WatermarkStrategy.forBoundedOutOfOrderness<Sale>(2_000).withTimestampAssigner(s => s.ts), 'sales')
    .sinkTo(datasetSink<Sale>(options.name ?? 'sales', { partitionBy: 'store', partitions: 4, schema: SALES_SCHEMA }))
    .uid('sales-history')
}

export default defineJob((env, args) => {
  env.enableCheckpointing(1_000)
  const rate = Number(args.rate ?? 100_000)
  if (!Number.isFinite(rate) || rate <= 0) throw new RangeError(`--rate needs a positive number, got '${args.rate ?? ''}'`)
  buildLandSales(env, { count: countOf(args), offsetMs: dayOffsetOf(args), ratePerSec: rate })
})
