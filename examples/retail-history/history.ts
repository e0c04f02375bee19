/**
 * Retail history, part 2: a batch job over the dataset `sales` that `land-sales.ts` fills,
 * with the DataSet API — revenue per store per day, and the top 3 products of every store
 * over the whole history. Returns (amount <= 0) are left out, as in retail-sales.
 *
 *   meshflow run examples/retail-history/history.ts
 *
 * `buildRetailHistory` declares both results and returns them, so a test can collect them;
 * the job prints them in order.
 */
import { defineJob, type DataSet, type StreamEnvironment } from 'meshflow'
import { byRevenue, TOP_N } from '../retail-sales/job.ts'
import { centsOf, type Sale } from '../retail-sales/sales.ts'

/** Revenue of one store on one day. */
export interface StoreDay {
  readonly store: string
  /** YYYY-MM-DD (UTC). */
  readonly day: string
  /** Rounded to cents. */
  readonly revenue: number
  readonly sales: number
}

/** The best-selling products of one store over the history, by revenue (ties by name). */
export interface StoreTop {
  readonly store: string
  readonly top: readonly { readonly product: string, readonly revenue: number }[]
}

export interface RetailHistory {
  readonly revenue: DataSet<StoreDay>
  readonly top: DataSet<StoreTop>
}

/** The UTC day of an epoch-ms timestamp, YYYY-MM-DD. */
export function dayOf (ts: number): string {
  return new Date(ts).toISOString().slice(0, 10)
}

/** Declares the two questions over dataset `name` (default `sales`) on `env`. */
export function buildRetailHistory (env: StreamEnvironment, name = 'sales'): RetailHistory {
  // only the columns asked for are decoded; the predicate is pushed into the scan
  const sales = env.readDataset<Sale>(name, { columns: ['store', 'product', 'amount', 'ts'], predicate: { op: '>', column: 'amount', value: 0 } })

  const revenue = sales
    .map(s => ({ store: s.store, day: dayOf(s.ts), cents: centsOf(s.amount), sales: 1 }))
    .groupBy(r => `${r.store}|${r.day}`)
    .reduce((a, b) => ({ ...a, cents: a.cents + b.cents, sales: a.sales + b.sales }))
    .map((r): StoreDay => ({ store: r.store, day: r.day, revenue: r.cents / 100, sales: r.sales }))
    .orderBy(r => `${r.store}|${r.day}`)

  const top = sales
    .map(s => ({ store: s.store, product: s.product, cents: centsOf(s.amount) }))
    .groupBy(r => `${r.store}|${r.product}`)
    .reduce((a, b) => ({ ...a, cents: a.cents + b.cents }))
    .groupBy('store')
    .reduceGroup((store, products): StoreTop[] => [{
      store: String(store),
      top: products.sort(byRevenue).slice(0, TOP_N).map(p => ({ product: p.product, revenue: p.cents / 100 }))
    }])
    .orderBy('store')

  return { revenue, top }
}

export default defineJob(env => {
  const { revenue, top } = buildRetailHistory(env)
  revenue.print('revenue')
  top.print('top')
})
