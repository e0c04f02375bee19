/**
 * Retail sales: revenue per store per minute, and the top 3 products of every minute,
 * from a deterministic stream of sales events (see sales.ts) in event time.
 *
 *   meshflow run examples/retail-sales/job.ts [--parallelism 4] [-- --count 200000]
 *
 * `buildRetailSales` declares the pipeline and returns its two result streams, so a test
 * can collect them; the job itself prints them.
 */
import {
  defineJob, TumblingEventTimeWindows, WatermarkStrategy,
  type AggregateFunction, type DataStream, type JobArgs, type StreamEnvironment
} from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { centsOf, sale, type Sale } from './sales.ts'

export const DEFAULT_COUNT = 200_000
export const MINUTE_MS = 60_000
export const TOP_N = 3

/** Revenue of one store in one minute. */
export interface StoreRevenue {
  readonly store: string
  /** Window start, ISO 8601. */
  readonly window: string
  /** Rounded to cents. */
  readonly revenue: number
  readonly sales: number
}

/** The best-selling products of one minute, by revenue (ties by name). */
export interface TopProducts {
  readonly window: string
  readonly top: readonly { readonly product: string, readonly revenue: number }[]
}

interface ProductRevenue {
  readonly product: string
  readonly windowStart: number
  readonly cents: number
}

/** Whole cents and the number of sales. */
export interface Totals { cents: number, sales: number }

/** Sums amounts as whole cents (exact in any order) and counts the sales. */
export const totals: AggregateFunction<Sale, Totals, Totals> = {
  createAccumulator: () => ({ cents: 0, sales: 0 }),
  add: (s, acc) => { acc.cents += centsOf(s.amount); acc.sales++; return acc },
  getResult: acc => acc,
  merge: (a, b) => ({ cents: a.cents + b.cents, sales: a.sales + b.sales })
}

/** Orders by revenue, highest first, then by product name. */
export function byRevenue (a: { product: string, cents: number }, b: { product: string, cents: number }): number {
  return b.cents - a.cents || (a.product < b.product ? -1 : a.product > b.product ? 1 : 0)
}

export interface RetailSalesStreams {
  readonly revenue: DataStream<StoreRevenue>
  readonly top: DataStream<TopProducts>
}

/** Reads `--count` (default 200 000): a non-negative integer. */
export function countOf (args: JobArgs): number {
  const raw = args.count
  if (raw === undefined) return DEFAULT_COUNT
  const n = Number(raw.replaceAll('_', ''))
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`--count needs a non-negative integer, got '${raw}'`)
  return n
}

/** Declares the pipeline on `env` and returns its result streams. */
export function buildRetailSales (env: StreamEnvironment, count: number): RetailSalesStreams {
  const sales = env
    .fromSource(datagen({ count, generate: i => sale(i, count) }),
      WatermarkStrategy.forBoundedOutOfOrderness<Sale>(2_000).withTimestampAssigner(s => s.ts), 'sales')
    .filter(s => s.amount > 0).name('drop-returns')

  const revenue = sales
    .keyBy(s => s.store)
    .window(TumblingEventTimeWindows.of(MINUTE_MS))
    .aggregate(totals, (store, w, t): StoreRevenue => ({
      store: String(store), window: new Date(w.start).toISOString(), revenue: t.cents / 100, sales: t.sales
    }))
    .uid('revenue-per-store')

  // top N: revenue per product per minute, then all products of one minute meet in one
  // window (keyed by the minute) that ranks them — Flink's windowAll, kept parallel
  const top = sales
    .keyBy(s => s.product)
    .window(TumblingEventTimeWindows.of(MINUTE_MS))
    .aggregate(totals, (product, w, t): ProductRevenue => ({ product: String(product), windowStart: w.start, cents: t.cents }))
    .uid('revenue-per-product')
    .keyBy(r => r.windowStart)
    .window(TumblingEventTimeWindows.of(MINUTE_MS))
    .process<TopProducts>((_minute, w, products, out) => {
      const best = products.sort(byRevenue).slice(0, TOP_N)
      out.collect({ window: new Date(w.start).toISOString(), top: best.map(p => ({ product: p.product, revenue: p.cents / 100 })) })
    })
    .uid('top-products')

  return { revenue, top }
}

export default defineJob((env, args) => {
  const { revenue, top } = buildRetailSales(env, countOf(args))
  revenue.print('revenue')
  top.print('top')
})
