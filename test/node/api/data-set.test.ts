/**
 * DataSet: the element-wise operations (map, flatMap in both forms, filter, mapPartition,
 * project, union), the bridges to and from DataStream, order kept after orderBy, and how
 * misuse fails at build time with a message naming it.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { StreamEnvironment, count, sum, type Collector } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'

const DataSetSuite = suite('DataSet')

function thrown (fn: () => unknown): Error {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected the call to throw')
}

const sorted = <T>(xs: T[]): T[] => xs.slice().sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)

for (const p of [1, 4]) {
  DataSetSuite(`map, flatMap (iterable and collector), filter, project, union and mapPartition equal plain JS at p=${p}`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.record({ a: fc.integer({ min: -9, max: 9 }), b: fc.string({ maxLength: 3 }) }), { maxLength: 60 }), async rows => {
      const env = StreamEnvironment.create({ parallelism: p })
      const ds = env.fromCollection(rows).toDataSet()
      const mapped = ds.map(r => r.a * 2).collect()
      const flatIt = ds.flatMap(r => r.a > 0 ? [r.a, -r.a] : []).collect()
      const flatOut = ds.flatMap((r: { a: number }, out: Collector<number>) => { if (r.a % 2 === 0) out.collect(r.a) }).collect()
      const flatGen = ds.flatMap(function * (r) { for (let i = 0; i < Math.abs(r.a) % 3; i++) yield i }).collect()
      const kept = ds.filter(r => r.b.length > 1).collect()
      const proj = ds.map(r => ({ ...r, c: 1 })).project('b', 'c').collect()
      const un = ds.map(r => r.a).union(ds.map(r => r.a + 100), ds.map(r => r.a + 200)).collect()
      const parts = ds.map(r => r).mapPartition(vs => [vs.length]).collect()
      await env.execute('elementwise')
      assert.equal(sorted(mapped.values), sorted(rows.map(r => r.a * 2)))
      assert.equal(sorted(flatIt.values), sorted(rows.flatMap(r => r.a > 0 ? [r.a, -r.a] : [])))
      assert.equal(sorted(flatOut.values), sorted(rows.filter(r => r.a % 2 === 0).map(r => r.a)))
      assert.equal(sorted(flatGen.values), sorted(rows.flatMap(r => Array.from({ length: Math.abs(r.a) % 3 }, (_, i) => i))))
      assert.equal(sorted(kept.values), sorted(rows.filter(r => r.b.length > 1)))
      assert.equal(sorted(proj.values), sorted(rows.map(r => ({ b: r.b, c: 1 }))))
      assert.equal(sorted(un.values), sorted([...rows.map(r => r.a), ...rows.map(r => r.a + 100), ...rows.map(r => r.a + 200)]))
      // one call per subtask, which together saw every row
      assert.is(parts.values.length, p)
      assert.is(parts.values.reduce((a, b) => a + b, 0), rows.length)
    }), { numRuns: 15 })
  })
}

DataSetSuite('after orderBy, map, filter, first and collect keep the order (they run at parallelism 1)', async () => {
  const env = StreamEnvironment.create({ parallelism: 4 })
  const xs = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 3001)
  const out = env.fromCollection(xs).toDataSet().map(x => x).orderBy(x => x).map(x => x * 2).filter(x => x % 3 !== 0).first(1500).collect()
  await env.execute('ordered')
  const want = xs.slice().sort((a, b) => a - b).map(x => x * 2).filter(x => x % 3 !== 0).slice(0, 1500)
  assert.equal(out.values, want)
})

DataSetSuite('project keeps only the named columns, a missing one as null', async () => {
  const env = StreamEnvironment.create()
  const out = env.fromCollection([{ a: 1, b: 2, c: 3 }, { a: 4, c: 6 }] as { a: number, b?: number, c: number }[]).toDataSet().project('a', 'b').collect()
  await env.execute('project')
  assert.equal(out.values, [{ a: 1, b: 2 }, { a: 4, b: null }])
})

DataSetSuite('toDataStream continues as a stream; count() composes as a set of one element', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const ds = env.fromCollection([3, 1, 2]).toDataSet()
  const out = ds.count().toDataStream().map(n => `n=${n}`).collect()
  const empty = ds.filter(() => false).count().collect()
  const emptyAgg = ds.filter(() => false).aggregate({ n: count(), s: sum(x => x) }).collect()
  await env.execute('bridge')
  assert.equal(out.values, ['n=3'])
  assert.equal(empty.values, [0])
  assert.equal(emptyAgg.values, [{ n: 0, s: null }])
})

DataSetSuite('groupBy aggregates bigints (int64 columns) to bigints and groups by composite keys holding bigints', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const rows = [{ k: 1n, v: 10n }, { k: 1n, v: 5n }, { k: 2n, v: 1n }]
  const out = env.fromCollection(rows).toDataSet().groupBy('k').aggregate({ s: sum('v') }).collect()
  const comp = env.fromCollection(rows).toDataSet().groupBy(r => [r.k, 'x']).aggregate({ n: count() }).collect()
  await env.execute('bigint')
  assert.equal(sorted(out.values.map(r => [String(r.k), String(r.s)])), [['1', '15'], ['2', '1']])
  assert.equal(sorted(comp.values.map(r => [String((r.key as unknown[])[0]), r.n])), [['1', 2], ['2', 1]])
})

DataSetSuite('a join broadcasts a small known side instead of shuffling both, and repartitions when a size is unknown or large', () => {
  const env = StreamEnvironment.create({ parallelism: 4 })
  const big = env.fromCollection([{ k: 1 }]).toDataSet({ estimatedRows: 1_000_000 })
  const small = env.fromCollection([{ k: 1 }]).toDataSet({ estimatedRows: 100 })
  const unknown = env.fromCollection([{ k: 1 }]).toDataSet()
  big.join(small).where('k').equalTo('k').with(a => a).name('auto-small').collect()
  big.join(unknown).where('k').equalTo('k').with(a => a).name('auto-unknown').collect()
  big.join(big).where('k').equalTo('k').with(a => a).name('auto-big').collect()
  big.leftOuterJoin(small, { broadcastMaxRows: 10 }).where('k').equalTo('k').with(a => a).name('over-threshold').collect()
  unknown.joinWithTiny(unknown).where('k').equalTo('k').with(a => a).name('tiny').collect()
  // a right outer join may not broadcast its right side: it repartitions
  big.rightOuterJoin(small).where('k').equalTo('k').with(a => a).name('right-outer').collect()
  const graph = env.getJobGraph()
  const edges = (name: string): string[] => graph.vertices.find(v => v.name === name)!.inputs.map(e => `${e.inputIndex}:${e.partition}`).sort()
  assert.equal(edges('auto-small'), ['0:rebalance', '1:broadcast']) // the big side is not hashed (a p=1 source here: spread)
  assert.equal(edges('auto-unknown'), ['0:hash', '1:hash'])
  assert.equal(edges('auto-big'), ['0:hash', '1:hash'])
  assert.equal(edges('over-threshold'), ['0:hash', '1:hash'])
  assert.equal(edges('tiny'), ['0:rebalance', '1:broadcast'])
  assert.equal(edges('right-outer'), ['0:hash', '1:hash'])
})

DataSetSuite('an error in a join function fails execute() naming the join operator and the cause', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const d = env.fromCollection([{ k: 1 }, { k: 2 }]).toDataSet()
  d.join(d).where('k').equalTo('k').with(() => { throw new Error('bad pair') }).name('pairs').collect()
  let err: Error | undefined
  try { await env.execute('bad-join') } catch (e) { err = e as Error }
  assert.is(err?.name, 'JobExecutionError')
  assert.match(err!.message, /Operator 'pairs' failed: bad pair/)
})

// ---------------------------------------------------------------- misuse

DataSetSuite('toDataSet() on an unbounded pipeline fails at build time naming the source', () => {
  const env = StreamEnvironment.create()
  const err = thrown(() => env.fromSource(datagen({ generate: i => i }), undefined, 'ticks').map(x => x).toDataSet())
  assert.is(err.name, 'JobDefinitionError')
  assert.is(err.message, "toDataSet() needs bounded input: source 'ticks' is unbounded")
})

DataSetSuite('a join, coGroup or where left unfinished fails getJobGraph() and execute() naming the missing step', async () => {
  const cases: [(env: StreamEnvironment) => void, string][] = [
    [env => { const d = env.fromCollection([1]).toDataSet(); d.join(d) }, 'join(...) was never completed: call .where(key).equalTo(key).with((left, right) => ...)'],
    [env => { const d = env.fromCollection([1]).toDataSet(); d.leftOuterJoin(d).where(x => x) }, 'leftOuterJoin(...).where(...) was never completed: call .equalTo(key).with((left, right) => ...)'],
    [env => { const d = env.fromCollection([1]).toDataSet(); d.fullOuterJoin(d).where(x => x).equalTo(x => x) }, 'fullOuterJoin(...).where(...).equalTo(...) was never completed: call .with((left, right) => ...)'],
    [env => { const d = env.fromCollection([1]).toDataSet(); d.coGroup(d).where(x => x) }, 'coGroup(...).where(...) was never completed: call .equalTo(key).with((key, lefts, rights) => rows)']
  ]
  for (const [build, message] of cases) {
    const env = StreamEnvironment.create()
    build(env)
    env.fromCollection([1]).toDataSet().collect()
    const err = thrown(() => env.getJobGraph())
    assert.is(err.name, 'JobDefinitionError')
    assert.is(err.message, message)
    let failed: Error | undefined
    try { await env.execute('unfinished') } catch (e) { failed = e as Error }
    assert.is(failed?.message, message)
  }
})

DataSetSuite('bad keys, counts, directions, aggregators and strategies fail at the call with InvalidArgumentError or JobDefinitionError', () => {
  const env = StreamEnvironment.create()
  const d = env.fromCollection([{ a: 1 }]).toDataSet()
  const check = (fn: () => unknown, name: string, message: string): void => {
    const err = thrown(fn)
    assert.is(err.name, name)
    assert.is(err.message, message)
  }
  check(() => d.groupBy(42 as never), 'InvalidArgumentError', 'groupBy needs a key: a column name, an array of column names or a function, got number')
  check(() => d.groupBy('' as never), 'InvalidArgumentError', 'groupBy needs a non-empty column name')
  check(() => d.join(d).where(null as never), 'InvalidArgumentError', 'join where needs a key: a column name, an array of column names or a function, got null')
  check(() => d.orderBy([] as never), 'InvalidArgumentError', 'orderBy needs a non-empty array of column names, got []')
  check(() => d.orderBy('a', 'up' as never), 'InvalidArgumentError', "orderBy direction must be 'asc' or 'desc', got up")
  check(() => d.first(0), 'InvalidArgumentError', 'first needs a positive integer count, got 0')
  check(() => d.first(-2), 'InvalidArgumentError', 'first needs a positive integer count, got -2')
  check(() => d.limit(1.5), 'InvalidArgumentError', 'first needs a positive integer count, got 1.5')
  check(() => d.map(3 as never), 'InvalidArgumentError', 'map needs a function, got number')
  check(() => d.project(), 'InvalidArgumentError', 'project needs column names, got []')
  check(() => d.aggregate({}), 'InvalidArgumentError', 'aggregate needs at least one aggregator')
  check(() => d.groupBy('a').aggregate({ x: 3 } as never), 'InvalidArgumentError', "groupBy(...).aggregate: 'x' is not an aggregator (use sum, count, avg, min, max or countDistinct)")
  check(() => d.groupBy('a').aggregate({ a: count() }), 'InvalidArgumentError', "aggregate: the output 'a' clashes with the key column 'a': rename it")
  check(() => d.groupBy(r => r.a).aggregate({ key: count() }), 'InvalidArgumentError', "aggregate: the output 'key' clashes with the key field 'key': rename it")
  check(() => sum(7 as never), 'InvalidArgumentError', 'sum needs a column name or a function of the row, got number')
  check(() => d.leftOuterJoin(d, { strategy: 'broadcast-first' }), 'JobDefinitionError', 'leftOuterJoin cannot broadcast its left side: its unmatched rows would be emitted by every subtask; broadcast the other side or repartition')
  check(() => d.fullOuterJoin(d, { strategy: 'broadcast-second' }), 'JobDefinitionError', 'fullOuterJoin cannot broadcast its right side: its unmatched rows would be emitted by every subtask; broadcast the other side or repartition')
  check(() => d.join(d, { strategy: 'nested-loop' as never }), 'InvalidArgumentError', 'join: unknown strategy "nested-loop" (use broadcast-first, broadcast-second, repartition-hash-first, repartition-hash-second)')
  check(() => d.join(d).where(['a']).equalTo(['a', 'b'] as never), 'JobDefinitionError', 'join: where() names 1 columns, equalTo() 2')
  check(() => d.join(StreamEnvironment.create().fromCollection([1]).toDataSet()), 'JobDefinitionError', 'join needs a DataSet of the same environment')
  check(() => d.union(StreamEnvironment.create().fromCollection([{ a: 1 }]).toDataSet()), 'JobDefinitionError', 'union needs data sets of the same environment')
  const w = d.join(d).where('a')
  w.equalTo('a').with(a => a)
  check(() => w.equalTo('a'), 'JobDefinitionError', 'join: equalTo() was called twice')
})

DataSetSuite('with a known schema, an unknown column and join keys of different types fail at build time naming them', () => {
  const env = StreamEnvironment.create()
  const schema = { columns: [{ name: 'store', type: 'string' as const }, { name: 'amount', type: 'number' as const }] }
  const sales = env.fromCollection([{ store: 's', amount: 1 }]).toDataSet().filter(() => true)
  const typed = new (sales.constructor as typeof import('meshflow').DataSet)<{ store: string, amount: number }>(env, sales.transformation, { schema })
  const stores = new (sales.constructor as typeof import('meshflow').DataSet)<{ id: number }>(env, sales.transformation, { schema: { columns: [{ name: 'id', type: 'int64' }] } })
  const unknown = thrown(() => typed.groupBy('shop' as never))
  assert.is(unknown.message, "groupBy: unknown column 'shop' (the columns are store, amount)")
  assert.is(thrown(() => typed.project('amount', 'day' as never)).message, "project: unknown column 'day' (the columns are store, amount)")
  assert.is(thrown(() => typed.aggregate({ s: sum('price' as never) })).message, "aggregate 's': unknown column 'price' (the columns are store, amount)")
  const types = thrown(() => typed.join(stores).where('store').equalTo('id'))
  assert.is(types.name, 'JobDefinitionError')
  assert.is(types.message, "join: join keys of different types: left 'store' is string, right 'id' is int64")
  assert.equal(typed.project('amount').schema, { columns: [{ name: 'amount', type: 'number' }] })
})

DataSetSuite.run()
