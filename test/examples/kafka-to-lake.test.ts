/**
 * examples/kafka-to-lake against the real broker (test/services/kafka.sh): the producer job
 * puts the retail sales on a fresh topic, the job reads it back to its end (bounded) at
 * parallelism 2 with checkpoints, and DuckDB reads the Hive-partitioned lake: every
 * store-minute exactly as computed directly from the sales; a read_committed consumer of the
 * alerts topic sees exactly the store-minutes above the threshold. Both jobs run through
 * `meshflow run`, so their bundles load as on a user's peer.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Alert } from '../../examples/kafka-to-lake/job.ts'
import { lakeTotals } from '../../examples/kafka-to-lake/query.ts'
import { centsOf, sale } from '../../examples/retail-sales/sales.ts'
import { brokers, deleteTopic, freshName, readCommitted } from '../connectors/kafka/helpers.ts'
import { duck, lit } from '../connectors/files/duckdb.ts'
import { runCli } from '../cli/spawn-cli.ts'

const test = suite('examples/kafka-to-lake')
const COUNT = 20_000

interface Row { store: string, window: string, revenue: number, sales: number }

/** Revenue per store per minute of the positive sales, computed directly. */
function expectedRows (count: number): Row[] {
  const by = new Map<string, { store: string, start: number, cents: number, sales: number }>()
  for (let i = 0; i < count; i++) {
    const s = sale(i, count)
    if (s.amount <= 0) continue
    const start = s.ts - s.ts % 60_000
    const k = `${s.store}|${start}`
    const agg = by.get(k) ?? { store: s.store, start, cents: 0, sales: 0 }
    agg.cents += centsOf(s.amount)
    agg.sales++
    by.set(k, agg)
  }
  return [...by.values()].map(a => ({ store: a.store, window: new Date(a.start).toISOString(), revenue: a.cents / 100, sales: a.sales }))
    .sort((a, b) => a.store.localeCompare(b.store) || a.window.localeCompare(b.window))
}

test('sales on Kafka → revenue per store-minute in the lake and alerts on Kafka, each exactly as computed', async () => {
  const b = await brokers()
  const sales = freshName('lake-sales')
  const alerts = freshName('lake-alerts')
  const lake = await mkdtemp(join(tmpdir(), 'meshflow-lake-'))
  const want = expectedRows(COUNT)
  const revenues = want.map(r => r.revenue).sort((x, y) => x - y)
  const threshold = revenues[Math.floor(revenues.length / 2)]! // about half the store-minutes alert
  const args = { brokers: b.join(','), sales, alerts, lake, count: String(COUNT), 'alert-above': String(threshold), bounded: 'true' }
  try {
    // both jobs through the CLI, as a user runs them: their bundles must load on a peer
    const cliArgs = Object.entries(args).flatMap(([k, v]) => [`--${k}`, v])
    const produced = await runCli(['run', 'examples/kafka-to-lake/produce.ts', '--data-dir', join(lake, '.produce-data'), '--', ...cliArgs])
    assert.is(produced.code, 0, produced.stderr)
    const ran = await runCli(['run', 'examples/kafka-to-lake/job.ts', '--parallelism', '2', '--data-dir', join(lake, '.job-data'), '--', ...cliArgs])
    assert.is(ran.code, 0, ran.stderr)
    assert.match(ran.stderr + ran.stdout, /Job '.*' finished/)

    const rows = await duck(`SELECT store, "window", revenue, CAST(sales AS INTEGER) AS sales, CAST(dt AS VARCHAR) AS dt
      FROM read_parquet(${lit(`${lake}/**/*.parquet`)}, hive_partitioning = true) ORDER BY store, "window"`)
    const got = rows.map(r => JSON.stringify({ store: r.store, window: r.window, revenue: r.revenue, sales: r.sales }))
    const wanted = want.map(r => JSON.stringify(r))
    assert.equal(got.filter(r => !wanted.includes(r)), [], 'rows in the lake that are not expected')
    assert.equal(wanted.filter(r => !got.includes(r)), [], 'expected rows missing from the lake')
    assert.is(got.length, wanted.length, 'every store-minute exactly once')
    assert.ok(rows.every(r => r.dt === '2024-03-01'), 'the dt folder is the window\'s day')
    const totals = await lakeTotals(lake)
    assert.is(totals.reduce((n, t) => n + t.sales, 0), want.reduce((n, r) => n + r.sales, 0), 'query.ts sums the same sales')

    const wantAlerts = want.filter(r => r.revenue > threshold)
    assert.ok(wantAlerts.length > 0 && wantAlerts.length < want.length)
    const alerted = (await readCommitted(b, alerts, wantAlerts.length, 60_000)).map(v => JSON.parse(v) as Alert)
      .sort((x, y) => x.store.localeCompare(y.store) || x.window.localeCompare(y.window))
    assert.equal(alerted, wantAlerts.map(r => ({ store: r.store, window: r.window, revenue: r.revenue })), 'every alert once, under read_committed')
  } finally {
    await rm(lake, { recursive: true, force: true })
    await deleteTopic(b, sales)
    await deleteTopic(b, alerts)
  }
})

test.run()
