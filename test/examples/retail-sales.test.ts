import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment } from '../../node/index.ts'
import { buildRetailSales, byRevenue, countOf, TOP_N, type StoreRevenue, type TopProducts } from '../../examples/retail-sales/job.ts'
import { centsOf, MAX_JITTER_MS, sale, SPAN_MS, START_MS } from '../../examples/retail-sales/sales.ts'
import { runCli } from '../cli/spawn-cli.ts'

const COUNT = 30_000

/** Revenue per store per minute and the top products per minute, computed directly. */
function expected (count: number): { revenue: StoreRevenue[], top: TopProducts[] } {
  const byStore = new Map<string, { store: string, start: number, cents: number, sales: number }>()
  const byProduct = new Map<number, Map<string, number>>()
  for (let i = 0; i < count; i++) {
    const s = sale(i, count)
    if (s.amount <= 0) continue
    const start = s.ts - s.ts % 60_000
    const k = `${s.store}|${start}`
    const agg = byStore.get(k) ?? { store: s.store, start, cents: 0, sales: 0 }
    agg.cents += centsOf(s.amount)
    agg.sales++
    byStore.set(k, agg)
    const products = byProduct.get(start) ?? new Map<string, number>()
    products.set(s.product, (products.get(s.product) ?? 0) + centsOf(s.amount))
    byProduct.set(start, products)
  }
  const revenue = [...byStore.values()].map(a => ({
    store: a.store, window: new Date(a.start).toISOString(), revenue: Math.round(a.cents) / 100, sales: a.sales
  }))
  const top = [...byProduct].map(([start, products]) => ({
    window: new Date(start).toISOString(),
    top: [...products].map(([product, cents]) => ({ product, cents })).sort(byRevenue).slice(0, TOP_N)
      .map(p => ({ product: p.product, revenue: p.cents / 100 }))
  }))
  return { revenue: sortByJson(revenue), top: sortByJson(top) }
}

function sortByJson<T> (xs: T[]): T[] {
  return xs.map(x => [JSON.stringify(x), x] as const).sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0).map(([, x]) => x)
}

const want = expected(COUNT)

test('sale() is deterministic, out of order by at most 2 s, inside 10 minutes, with a few returns', () => {
  assert.equal(sale(123, COUNT), sale(123, COUNT))
  let max = Number.NEGATIVE_INFINITY
  let returns = 0
  for (let i = 0; i < COUNT; i++) {
    const s = sale(i, COUNT)
    assert.ok(s.ts >= max - MAX_JITTER_MS, `sale ${i} is more than 2 s out of order`)
    assert.ok(s.ts >= START_MS && s.ts < START_MS + SPAN_MS, `sale ${i} outside the 10 minutes`)
    max = Math.max(max, s.ts)
    if (s.amount <= 0) returns++
  }
  assert.ok(returns > 0 && returns < COUNT / 20, `${returns} returns`)
  assert.is(new Set(want.revenue.map(r => r.window)).size, 10)
})

// a small batch size makes the source subtasks interleave and the watermark advance often
for (const [parallelism, batchSize] of [[1, 1024], [4, 1024], [4, 50]] as const) {
  test(`buildRetailSales computes revenue per store per minute and the top ${TOP_N} products exactly at parallelism ${parallelism}, batch size ${batchSize}`, async () => {
    const env = StreamEnvironment.create({ parallelism, batchSize })
    const { revenue, top } = buildRetailSales(env, COUNT)
    const revenueOut = revenue.collect()
    const topOut = top.collect()
    await env.execute('retail-sales-test')
    assert.equal(sortByJson(revenueOut.values), want.revenue)
    assert.equal(sortByJson(topOut.values), want.top)
  })
}

test('countOf reads --count with a default and rejects a bad value', () => {
  assert.is(countOf({}), 200_000)
  assert.is(countOf({ count: '1_000' }), 1000)
  assert.throws(() => countOf({ count: 'lots' }), /--count needs a non-negative integer, got 'lots'/)
})

test('meshflow run examples/retail-sales/job.ts prints the same results', async () => {
  const count = 5_000
  const r = await runCli(['run', 'examples/retail-sales/job.ts', '--parallelism', '2', '--', '--count', String(count)])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, new RegExp(`^meshflow: Job 'retail-sales' finished in \\d+ ms \\(${count} source records\\)\\n$`))
  const revenue: StoreRevenue[] = []
  const top: TopProducts[] = []
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue
    const m = /^(revenue|top):\d+> (.*)$/.exec(line)
    assert.ok(m, `unexpected line: ${line}`)
    if (m[1] === 'revenue') revenue.push(JSON.parse(m[2]!))
    else top.push(JSON.parse(m[2]!))
  }
  const small = expected(count)
  assert.equal(sortByJson(revenue), small.revenue)
  assert.equal(sortByJson(top), small.top)
})

test.run()
