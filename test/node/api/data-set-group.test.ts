/**
 * DataSet grouping, whole-set reductions, distinct, orderBy and first against a direct
 * computation in plain JS, on random rows (fast-check), at parallelism 1 and 4 on the
 * embedded runtime. Rows have few keys (so groups have duplicates), and null/undefined
 * keys (one group).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { StreamEnvironment, avg, count, countDistinct, max, min, sum, type DataSet } from 'meshflow'

const GroupSuite = suite('DataSet grouping (property)')

interface Row { id: number, k: string | null | undefined, g: number, v: number }

const rowsArb: fc.Arbitrary<Row[]> = fc.array(fc.record({
  k: fc.constantFrom<string | null | undefined>('a', 'b', 'c', 'd', null, undefined),
  g: fc.integer({ min: 0, max: 2 }),
  v: fc.integer({ min: -50, max: 50 })
}), { maxLength: 120 }).map(rs => rs.map((r, id) => ({ id, ...r })))

const RUNS = 25

function dataset (env: StreamEnvironment, rows: Row[], parallel: boolean): DataSet<Row> {
  // at parallelism 4 the rows are spread over the operators' subtasks by a rebalance
  const ds = env.fromCollection(rows).toDataSet()
  return parallel ? ds.map(r => r) : ds
}

function canon (xs: unknown[]): string[] {
  return xs.map(x => JSON.stringify(x, (_k, v) => v === undefined ? null : v)).sort()
}

function groupsOf<K> (rows: Row[], key: (r: Row) => K): Map<string, { key: K, rows: Row[] }> {
  const m = new Map<string, { key: K, rows: Row[] }>()
  for (const r of rows) {
    const k = key(r)
    const s = JSON.stringify(k ?? null)
    const g = m.get(s)
    if (g === undefined) m.set(s, { key: k, rows: [r] })
    else g.rows.push(r)
  }
  return m
}

for (const p of [1, 4]) {
  GroupSuite(`groupBy(column).aggregate and .reduce, groupBy(fn).reduceGroup, composite keys equal a direct computation at p=${p}`, async () => {
    await fc.assert(fc.asyncProperty(rowsArb, async rows => {
      const env = StreamEnvironment.create({ parallelism: p })
      const ds = dataset(env, rows, p > 1)
      const agg = ds.groupBy('k').aggregate({ total: sum('v'), n: count(), mean: avg('v'), lo: min('v'), hi: max(r => r.v), d: countDistinct('g') }).collect()
      const red = ds.groupBy('k').reduce((a, b) => ({ ...a, v: a.v + b.v, id: Math.min(a.id, b.id) })).collect()
      const grp = ds.groupBy(r => r.k).reduceGroup((key, vs) => [{ key, n: vs.length, ids: vs.map(v => v.id).sort((a, b) => a - b) }]).collect()
      const comp = ds.groupBy(['k', 'g']).aggregate({ n: count() }).collect()
      const compFn = ds.groupBy(r => [r.g, r.k ?? null]).aggregate({ s: sum('v') }).collect()
      await env.execute('group')

      const byK = groupsOf(rows, r => r.k ?? null)
      const want = [...byK.values()].map(({ key, rows: rs }) => {
        const vs = rs.map(r => r.v)
        return { k: key, total: vs.reduce((a, b) => a + b, 0), n: rs.length, mean: vs.reduce((a, b) => a + b, 0) / rs.length, lo: Math.min(...vs), hi: Math.max(...vs), d: new Set(rs.map(r => r.g)).size }
      })
      assert.equal(canon(agg.values), canon(want))
      assert.equal(canon(red.values.map(r => [r.k ?? null, r.v, r.id])),
        canon([...byK.values()].map(({ key, rows: rs }) => [key, rs.reduce((a, r) => a + r.v, 0), Math.min(...rs.map(r => r.id))])))
      assert.equal(canon(grp.values), canon([...byK.values()].map(({ key, rows: rs }) => ({ key, n: rs.length, ids: rs.map(r => r.id) }))))
      const byKG = groupsOf(rows, r => [r.k ?? null, r.g])
      assert.equal(canon(comp.values), canon([...byKG.values()].map(({ key, rows: rs }) => ({ k: key[0], g: key[1], n: rs.length }))))
      const byGK = groupsOf(rows, r => [r.g, r.k ?? null])
      assert.equal(canon(compFn.values), canon([...byGK.values()].map(({ key, rows: rs }) => ({ key, s: rs.reduce((a, r) => a + r.v, 0) }))))
    }), { numRuns: RUNS })
  })

  GroupSuite(`whole-set aggregate, reduce and count, distinct, first(n) equal a direct computation at p=${p}`, async () => {
    await fc.assert(fc.asyncProperty(rowsArb, fc.integer({ min: 1, max: 10 }), async (rows, n) => {
      const env = StreamEnvironment.create({ parallelism: p })
      const ds = dataset(env, rows, p > 1)
      const agg = ds.aggregate({ total: sum('v'), n: count(), nk: count('k'), lo: min('v'), mean: avg('v') }).collect()
      const red = ds.map(r => r.v).reduce((a, b) => a + b).collect()
      const cnt = ds.count().collect()
      const cntFiltered = ds.filter(r => r.v > 0).count().map(c => c * 10).collect()
      const dist = ds.map(r => ({ k: r.k ?? null, g: r.g })).distinct().collect()
      const distKey = ds.distinct('k').collect()
      const first = ds.first(n).collect()
      await env.execute('whole')

      const vs = rows.map(r => r.v)
      const total = vs.reduce((a, b) => a + b, 0)
      assert.equal(agg.values, [{ total: rows.length === 0 ? null : total, n: rows.length, nk: rows.filter(r => r.k != null).length, lo: rows.length === 0 ? null : Math.min(...vs), mean: rows.length === 0 ? null : total / rows.length }])
      assert.equal(red.values, rows.length === 0 ? [] : [total])
      assert.equal(cnt.values, [rows.length])
      assert.equal(cntFiltered.values, [rows.filter(r => r.v > 0).length * 10])
      assert.equal(canon(dist.values), canon([...new Set(rows.map(r => JSON.stringify({ k: r.k ?? null, g: r.g })))].map(s => JSON.parse(s))))
      const keys = distKey.values.map(r => r.k ?? null)
      assert.equal(canon(keys), canon([...new Set(rows.map(r => r.k ?? null))]))
      for (const r of distKey.values) assert.ok(rows.some(x => x.id === r.id && (x.k ?? null) === (r.k ?? null)))
      assert.is(first.values.length, Math.min(n, rows.length))
      assert.is(new Set(first.values.map(r => r.id)).size, first.values.length)
      for (const r of first.values) assert.equal(r, rows[r.id])
    }), { numRuns: RUNS })
  })

  GroupSuite(`orderBy is a stable global sort (ties keep input order), asc and desc, then first(n) is the top n, at p=${p}`, async () => {
    await fc.assert(fc.asyncProperty(rowsArb, fc.integer({ min: 1, max: 8 }), async (rows, n) => {
      const env = StreamEnvironment.create({ parallelism: p })
      const ds = env.fromCollection(rows).toDataSet()
      const asc = ds.orderBy('v').collect()
      const desc = ds.orderBy(r => r.v, 'desc').collect()
      const byNull = ds.orderBy('k').map(r => r.id).collect()
      const two = ds.orderBy('g').orderBy('v').collect()
      const top = ds.orderBy('v', 'desc').first(n).collect()
      // after a rebalance the input order is not defined: the keys must still be in order
      const spread = ds.map(r => r).orderBy(['g', 'v']).collect()
      await env.execute('sort')

      const stable = (cmp: (a: Row, b: Row) => number): Row[] => rows.slice().sort(cmp) // Array.prototype.sort is stable
      assert.equal(asc.values, stable((a, b) => a.v - b.v))
      assert.equal(desc.values, stable((a, b) => b.v - a.v))
      const rank = (k: string | null | undefined): string => k == null ? '' : `~${k}`
      assert.equal(byNull.values, stable((a, b) => rank(a.k) < rank(b.k) ? -1 : rank(a.k) > rank(b.k) ? 1 : 0).map(r => r.id))
      assert.equal(two.values, stable((a, b) => a.v - b.v || a.g - b.g))
      assert.equal(top.values, stable((a, b) => b.v - a.v).slice(0, n))
      assert.equal(spread.values.map(r => [r.g, r.v]), stable((a, b) => a.g - b.g || a.v - b.v).map(r => [r.g, r.v]))
    }), { numRuns: RUNS })
  })
}

GroupSuite.run()
