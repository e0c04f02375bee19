/**
 * examples/retail-history: two days of the sales stream land in dataset `sales` through
 * datasetSink (checkpointed: a version per checkpoint), then the batch job's revenue per
 * store per day and top 3 products per store equal a direct computation over the sales.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment } from '../../node/index.ts'
import { buildLandSales, DAY_MS, saleOn } from '../../examples/retail-history/land-sales.ts'
import { buildRetailHistory, dayOf, type StoreDay, type StoreTop } from '../../examples/retail-history/history.ts'
import { byRevenue, TOP_N } from '../../examples/retail-sales/job.ts'
import { centsOf } from '../../examples/retail-sales/sales.ts'

const DAYS = [{ count: 12_000, offsetMs: 0 }, { count: 7_000, offsetMs: DAY_MS }]

function expected (): { revenue: StoreDay[], top: StoreTop[] } {
  const byStoreDay = new Map<string, { store: string, day: string, cents: number, sales: number }>()
  const byStoreProduct = new Map<string, Map<string, number>>()
  for (const { count, offsetMs } of DAYS) {
    for (let i = 0; i < count; i++) {
      const s = saleOn(i, count, offsetMs)
      if (s.amount <= 0) continue
      const k = `${s.store}|${dayOf(s.ts)}`
      const agg = byStoreDay.get(k) ?? { store: s.store, day: dayOf(s.ts), cents: 0, sales: 0 }
      agg.cents += centsOf(s.amount)
      agg.sales++
      byStoreDay.set(k, agg)
      const products = byStoreProduct.get(s.store) ?? new Map<string, number>()
      products.set(s.product, (products.get(s.product) ?? 0) + centsOf(s.amount))
      byStoreProduct.set(s.store, products)
    }
  }
  const revenue = [...byStoreDay.values()].map(a => ({ store: a.store, day: a.day, revenue: a.cents / 100, sales: a.sales }))
    .sort((a, b) => `${a.store}|${a.day}` < `${b.store}|${b.day}` ? -1 : 1)
  const top = [...byStoreProduct].sort(([a], [b]) => a < b ? -1 : 1).map(([store, products]) => ({
    store,
    top: [...products].map(([product, cents]) => ({ product, cents })).sort(byRevenue).slice(0, TOP_N).map(p => ({ product: p.product, revenue: p.cents / 100 }))
  }))
  return { revenue, top }
}

test('retail-history: the landed stream answers revenue per store per day and the top 3 products per store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-retail-history-'))
  try {
    for (const day of DAYS) {
      const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 100 })
      buildLandSales(env, { ...day, ratePerSec: 20_000 })
      await env.execute('land-sales', { dataDir: dir })
    }
    for (const parallelism of [1, 3]) {
      const env = StreamEnvironment.create({ parallelism })
      const { revenue, top } = buildRetailHistory(env)
      const r = revenue.collect()
      const t = top.collect()
      await env.execute('history', { dataDir: dir })
      const want = expected()
      assert.equal(r.values, want.revenue, `revenue at parallelism ${parallelism}`)
      assert.equal(t.values, want.top, `top products at parallelism ${parallelism}`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
