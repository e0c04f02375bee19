/**
 * DataSet joins (inner, left, right, full outer; every strategy), coGroup and cross
 * against a direct computation in plain JS, on random rows (fast-check) with duplicate,
 * missing and null/undefined keys, at parallelism 1 and 4 on the embedded runtime.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { StreamEnvironment, type DataSet, type JoinStrategy } from 'meshflow'

const JoinSuite = suite('DataSet joins (property)')

interface Row { id: number, k: string | null | undefined, g: number }
type Pair = [number | null, number | null]

const keyArb = fc.constantFrom<string | null | undefined>('a', 'b', 'c', 'd', 'e', null, undefined)
function rowsArb (base: number): fc.Arbitrary<Row[]> {
  return fc.array(fc.record({ k: keyArb, g: fc.integer({ min: 0, max: 1 }) }), { maxLength: 40 })
    .map(rs => rs.map((r, i) => ({ id: base + i, ...r })))
}

const RUNS = 25
type Kind = 'inner' | 'left' | 'right' | 'full'

function dataset (env: StreamEnvironment, rows: Row[], parallel: boolean, estimatedRows?: number): DataSet<Row> {
  const ds = env.fromCollection(rows).toDataSet(estimatedRows === undefined ? {} : { estimatedRows })
  return parallel ? ds.filter(() => true) : ds
}

function directJoin (ls: Row[], rs: Row[], kind: Kind, key: (r: Row) => unknown): Pair[] {
  const k = (r: Row): string | undefined => {
    const v = key(r)
    if (v === null || v === undefined) return undefined
    if (Array.isArray(v) && v.some(x => x === null || x === undefined)) return undefined
    return JSON.stringify(v)
  }
  const out: Pair[] = []
  const rightMatched = new Set<number>()
  for (const l of ls) {
    let matched = false
    for (const r of rs) {
      if (k(l) !== undefined && k(l) === k(r)) {
        out.push([l.id, r.id])
        matched = true
        rightMatched.add(r.id)
      }
    }
    if (!matched && (kind === 'left' || kind === 'full')) out.push([l.id, null])
  }
  if (kind === 'right' || kind === 'full') for (const r of rs) if (!rightMatched.has(r.id)) out.push([null, r.id])
  return out
}

function sortPairs (ps: Pair[]): string[] {
  return ps.map(p => JSON.stringify(p)).sort()
}

const STRATEGIES: Record<Kind, (JoinStrategy | undefined)[]> = {
  inner: [undefined, 'broadcast-first', 'broadcast-second', 'repartition-hash-first', 'repartition-hash-second'],
  left: [undefined, 'broadcast-second', 'repartition-hash-first', 'repartition-hash-second'],
  right: [undefined, 'broadcast-first', 'repartition-hash-first', 'repartition-hash-second'],
  full: [undefined, 'repartition-hash-first', 'repartition-hash-second']
}

function joinOf (left: DataSet<Row>, right: DataSet<Row>, kind: Kind, strategy: JoinStrategy | undefined): DataSet<Pair> {
  const options = strategy === undefined ? {} : { strategy }
  const pair = (a: Row | null, b: Row | null): Pair => [a?.id ?? null, b?.id ?? null]
  switch (kind) {
    case 'inner': return left.join(right, options).where('k').equalTo(r => r.k).with(pair)
    case 'left': return left.leftOuterJoin(right, options).where(r => r.k).equalTo('k').with(pair)
    case 'right': return left.rightOuterJoin(right, options).where('k').equalTo('k').with(pair)
    case 'full': return left.fullOuterJoin(right, options).where('k').equalTo('k').with(pair)
  }
}

for (const p of [1, 4]) {
  JoinSuite(`every join kind and strategy equals a direct nested-loop join (duplicate, missing, null keys) at p=${p}`, async () => {
    await fc.assert(fc.asyncProperty(rowsArb(0), rowsArb(1000), fc.boolean(), async (ls, rs, sized) => {
      const env = StreamEnvironment.create({ parallelism: p })
      // sized: estimates let the optimizer broadcast or build the smaller side
      const left = dataset(env, ls, p > 1, sized ? ls.length : undefined)
      const right = dataset(env, rs, p > 1, sized ? rs.length : undefined)
      const outs: [Kind, JoinStrategy | undefined, { values: Pair[] }][] = []
      for (const kind of ['inner', 'left', 'right', 'full'] as Kind[]) {
        for (const strategy of STRATEGIES[kind]) outs.push([kind, strategy, joinOf(left, right, kind, strategy).collect()])
      }
      const composite = left.leftOuterJoin(right).where(['k', 'g']).equalTo(r => [r.k, r.g]).with((a, b): Pair => [a.id, b?.id ?? null]).collect()
      await env.execute('joins')
      for (const [kind, strategy, out] of outs) {
        assert.equal(sortPairs(out.values), sortPairs(directJoin(ls, rs, kind, r => r.k)), `${kind} ${strategy ?? 'auto'}`)
      }
      assert.equal(sortPairs(composite.values), sortPairs(directJoin(ls, rs, 'left', r => [r.k, r.g])))
    }), { numRuns: RUNS })
  })

  JoinSuite(`coGroup sees every key of either side once with all its rows (null keys one group), cross gives every pair, at p=${p}`, async () => {
    await fc.assert(fc.asyncProperty(rowsArb(0), rowsArb(1000), async (ls, rs) => {
      const env = StreamEnvironment.create({ parallelism: p })
      const left = dataset(env, ls, p > 1)
      const right = dataset(env, rs, p > 1)
      const cg = left.coGroup(right).where('k').equalTo(r => r.k)
        .with((key, as, bs) => [{ key, as: as.map(a => a.id).sort((x, y) => x - y), bs: bs.map(b => b.id).sort((x, y) => x - y) }]).collect()
      const pairs = left.cross(right).map(([a, b]): Pair => [a.id, b.id]).collect()
      const withFn = right.cross(left).with((b, a): Pair => [a.id, b.id]).collect()
      await env.execute('cogroup')
      const keys = new Map<string, { key: string | null, as: number[], bs: number[] }>()
      const at = (k: string | null | undefined): { key: string | null, as: number[], bs: number[] } => {
        const s = String(k ?? null)
        let g = keys.get(s)
        if (g === undefined) keys.set(s, g = { key: k ?? null, as: [], bs: [] })
        return g
      }
      for (const l of ls) at(l.k).as.push(l.id)
      for (const r of rs) at(r.k).bs.push(r.id)
      assert.equal(cg.values.map(g => JSON.stringify(g)).sort(), [...keys.values()].map(g => JSON.stringify(g)).sort())
      const all = ls.flatMap(l => rs.map((r): Pair => [l.id, r.id]))
      assert.equal(sortPairs(pairs.values), sortPairs(all))
      assert.equal(sortPairs(withFn.values), sortPairs(all))
    }), { numRuns: RUNS })
  })
}

JoinSuite('cross refuses a product past maxRows at run time before emitting, naming the sizes', async () => {
  const env = StreamEnvironment.create({ parallelism: 4 })
  const a = env.fromCollection([1, 2, 3]).toDataSet().map(x => x)
  const b = env.fromCollection([1, 2]).toDataSet()
  const out = a.cross(b, { maxRows: 5 }).collect()
  let err: Error | undefined
  try {
    await env.execute('cross-limit')
  } catch (e) {
    err = e as Error
  }
  assert.ok(err !== undefined, 'the job failed')
  assert.match(err.message, /Cross product of 6 rows exceeds its limit of 5 rows/)
  assert.equal(out.values, [])

  const env2 = StreamEnvironment.create({ parallelism: 4 })
  const ok = env2.fromCollection([1, 2, 3]).toDataSet().cross(env2.fromCollection([1, 2]).toDataSet(), { maxRows: 6 }).count().collect()
  await env2.execute('cross-at-limit')
  assert.equal(ok.values, [6])
})

JoinSuite('cross with both sizes known past maxRows fails at build time', () => {
  const env = StreamEnvironment.create()
  const a = env.fromCollection([1, 2, 3]).toDataSet({ estimatedRows: 3000 })
  const b = env.fromCollection([1, 2]).toDataSet({ estimatedRows: 2000 })
  assert.throws(() => a.cross(b), (e: Error) => e.name === 'JobDefinitionError' && /cross of about 3000 × 2000 rows exceeds its limit of 1000000 rows/.test(e.message))
})

JoinSuite.run()
