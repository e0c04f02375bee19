/**
 * Every spilling path of the batch operators, forced with a tiny task memory budget (64
 * KiB), against a direct computation in plain JS and against the same job run in memory,
 * at parallelism 1 and 4 on the embedded runtime (task threads): orderBy (external merge
 * sort, ties), groupBy aggregate/reduce/reduceGroup, distinct, every join kind (sort-merge
 * past the budget) and coGroup. The tasks report the bytes they spilled (so these tests
 * fail when nothing spills), and the peer's spill folder is empty after success, failure
 * and cancellation.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment, count, countDistinct, max, sum, type DataSet, type JobExecutionResult } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'

const Spill = suite('spilling batch operators')

interface Row { id: number, k: number | string | null, g: number, v: number, s: string }

/** Rows from a seed: keys repeat (groups, ties), some are null, payloads vary in size. */
function rowsOf (seed: number, n: number, keys: number): Row[] {
  let x = seed >>> 0 || 1
  const next = (): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x }
  return Array.from({ length: n }, (_, id) => {
    const r = next() % (keys + 1)
    return { id, k: r === keys ? null : r % 3 === 0 ? `s${r}` : r, g: next() % 4, v: (next() % 201) - 100, s: 'x'.repeat(next() % 40) }
  })
}

function canon (xs: unknown[]): string[] {
  return xs.map(x => JSON.stringify(x, (_k, v) => v === undefined ? null : v)).sort()
}

const keyOf = (r: Row): string => JSON.stringify(r.k)

function groups (rows: Row[], key: (r: Row) => string = keyOf): Map<string, Row[]> {
  const m = new Map<string, Row[]>()
  for (const r of rows) {
    const k = key(r)
    const g = m.get(k)
    if (g === undefined) m.set(k, [r])
    else g.push(r)
  }
  return m
}

function spilled (result: JobExecutionResult): number {
  return result.tasks.reduce((n, t) => n + (t.spilledBytes ?? 0), 0)
}

async function spillLeft (dataDir: string): Promise<string[]> {
  try {
    return await readdir(join(dataDir, 'spill'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}

function pipeline (env: StreamEnvironment, rows: Row[], other: Row[], p: number) {
  const ds = p > 1 ? env.fromCollection(rows).toDataSet().map(r => r) : env.fromCollection(rows).toDataSet()
  const os = p > 1 ? env.fromCollection(other).toDataSet().map(r => r) : env.fromCollection(other).toDataSet()
  const pair = (a: Row | null, b: Row | null): [number | null, number | null] => [a?.id ?? null, b?.id ?? null]
  return {
    asc: ds.orderBy('k').map(r => r.id).collect(),
    desc: ds.orderBy(r => r.v, 'desc').map(r => r.id).collect(),
    agg: ds.groupBy('k').aggregate({ total: sum('v'), n: count(), hi: max('v'), d: countDistinct('g') }).collect(),
    red: ds.groupBy(['k', 'g']).reduce((a, b) => ({ ...a, v: a.v + b.v, id: Math.min(a.id, b.id) })).collect(),
    grp: ds.groupBy(r => r.k).reduceGroup((key, vs) => [{ key, ids: vs.map(v => v.id) }]).collect(),
    dist: ds.distinct('k').map(r => r.k).collect(),
    inner: ds.join(os).where('k').equalTo('k').with(pair).collect(),
    left: ds.leftOuterJoin(os, { strategy: 'repartition-hash-second' }).where('k').equalTo('k').with(pair).collect(),
    full: ds.fullOuterJoin(os).where('k').equalTo('k').with(pair).collect(),
    cg: ds.coGroup(os).where('k').equalTo('k').with((key, as, bs) => [{ key, as: as.map(a => a.id), bs: bs.map(b => b.id) }]).collect()
  }
}

type Outs = ReturnType<typeof pipeline>

function directJoin (ls: Row[], rs: Row[], keepLeft: boolean, keepRight: boolean): [number | null, number | null][] {
  const out: [number | null, number | null][] = []
  const matched = new Set<number>()
  for (const l of ls) {
    let any = false
    for (const r of rs) {
      if (l.k !== null && l.k === r.k) { out.push([l.id, r.id]); matched.add(r.id); any = true }
    }
    if (!any && keepLeft) out.push([l.id, null])
  }
  if (keepRight) for (const r of rs) if (!matched.has(r.id)) out.push([null, r.id])
  return out
}

function check (o: Outs, rows: Row[], other: Row[], p: number): void {
  const ids = (xs: Row[]): number[] => xs.map(r => r.id)
  const byK = [...rows].sort((a, b) => cmpKey(a.k, b.k))
  if (p === 1) {
    // a stable sort: ties in input order
    assert.equal(o.asc.values, ids(byK))
    assert.equal(o.desc.values, ids([...rows].sort((a, b) => b.v - a.v)))
  } else {
    assert.equal(o.asc.values.map(id => keyOf(rows[id]!)), byK.map(keyOf))
    assert.equal([...o.asc.values].sort((a, b) => a - b), ids(rows))
    assert.equal(o.desc.values.map(id => rows[id]!.v), [...rows].sort((a, b) => b.v - a.v).map(r => r.v))
  }
  const gs = groups(rows)
  assert.equal(canon(o.agg.values), canon([...gs.values()].map(rs => ({ k: rs[0]!.k, total: rs.reduce((a, r) => a + r.v, 0), n: rs.length, hi: Math.max(...rs.map(r => r.v)), d: new Set(rs.map(r => r.g)).size }))))
  assert.equal(canon(o.red.values.map(r => [r.k, r.g, r.v, r.id])), canon([...groups(rows, r => `${keyOf(r)}|${r.g}`).values()].map(rs => [rs[0]!.k, rs[0]!.g, rs.reduce((a, r) => a + r.v, 0), Math.min(...ids(rs))])))
  // at p=1 a group's rows keep their input order, spilled or not
  assert.equal(canon(o.grp.values.map(g => p === 1 ? g : { ...g, ids: [...g.ids].sort((a, b) => a - b) })), canon([...gs.values()].map(rs => ({ key: rs[0]!.k, ids: ids(rs) }))))
  assert.equal(canon(o.dist.values), canon([...gs.values()].map(rs => rs[0]!.k)))
  const sortPairs = (ps: [number | null, number | null][]): string[] => canon(ps)
  assert.equal(sortPairs(o.inner.values), sortPairs(directJoin(rows, other, false, false)))
  assert.equal(sortPairs(o.left.values), sortPairs(directJoin(rows, other, true, false)))
  assert.equal(sortPairs(o.full.values), sortPairs(directJoin(rows, other, true, true)))
  const cg = new Map<string, { key: unknown, as: number[], bs: number[] }>()
  const at = (r: Row): { key: unknown, as: number[], bs: number[] } => {
    let g = cg.get(keyOf(r))
    if (g === undefined) cg.set(keyOf(r), g = { key: r.k, as: [], bs: [] })
    return g
  }
  for (const r of rows) at(r).as.push(r.id)
  for (const r of other) at(r).bs.push(r.id)
  const sortedCg = (xs: { key: unknown, as: number[], bs: number[] }[]): string[] => canon(xs.map(g => ({ key: g.key, as: [...g.as].sort((a, b) => a - b), bs: [...g.bs].sort((a, b) => a - b) })))
  assert.equal(sortedCg(o.cg.values), sortedCg([...cg.values()]))
}

/** orderBy's order of keys: null first, numbers, then strings. */
function cmpKey (a: Row['k'], b: Row['k']): number {
  const rank = (x: Row['k']): number => x === null ? 0 : typeof x === 'number' ? 1 : 2
  if (rank(a) !== rank(b)) return rank(a) - rank(b)
  return a! < b! ? -1 : a! > b! ? 1 : 0
}

for (const p of [1, 4]) {
  Spill(`every spilling path at 64k gives what a direct computation and the in-memory run give, at p=${p}`, async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 1500, max: 3500 }), fc.integer({ min: 3, max: 400 }), async (seed, n, keys) => {
      const rows = rowsOf(seed, n, keys)
      const other = rowsOf(seed + 1, Math.floor(n / 3), keys).map(r => ({ ...r, id: r.id + 100_000 }))
      const dataDir = await mkdtemp(join(tmpdir(), 'meshflow-spill-test-'))
      try {
        const env = StreamEnvironment.create({ parallelism: p, taskMemory: '64k' })
        const small = pipeline(env, rows, other, p)
        const result = await env.execute('spill', { dataDir })
        assert.ok(spilled(result) > 0, 'the job spilled')
        assert.equal(await spillLeft(dataDir), [], 'no spill file is left')
        check(small, rows, other, p)

        const memEnv = StreamEnvironment.create({ parallelism: p })
        const mem = pipeline(memEnv, rows, other, p)
        const memResult = await memEnv.execute('in-memory')
        assert.is(spilled(memResult), 0)
        // the same rows in the same order where the order is defined
        assert.equal(small.asc.values, mem.asc.values)
        assert.equal(small.desc.values, mem.desc.values)
      } finally {
        await rm(dataDir, { recursive: true, force: true })
      }
    }), { numRuns: 4 })
  })
}

Spill('a job failing after it spilled leaves no spill file; so does one cancelled while it spills', async () => {
  const rows = rowsOf(7, 4000, 50)
  const dataDir = await mkdtemp(join(tmpdir(), 'meshflow-spill-test-'))
  try {
    const env = StreamEnvironment.create({ parallelism: 2, taskMemory: '64k' })
    env.fromCollection(rows).toDataSet().map(r => r).groupBy('k').reduceGroup((key, vs) => {
      if (vs.length > 0) throw new Error(`boom at ${String(key)}`)
      return []
    }).collect()
    let err: Error | undefined
    try {
      await env.execute('fails', { dataDir })
    } catch (e) {
      err = e as Error
    }
    assert.match(err?.message ?? '', /boom at/)
    assert.equal(await spillLeft(dataDir), [])

    // a source of 100 M rows at 50 k/s: the sort spills run after run until the job is cancelled
    const cancelEnv = StreamEnvironment.create({ parallelism: 1, taskMemory: '64k' })
    cancelEnv.fromSource(datagen({ count: 100_000_000, ratePerSec: 50_000, generate: i => ({ id: i, k: (i * 7919) % 1000, s: 'y'.repeat(30) }) }), undefined, 'endless')
      .toDataSet().orderBy('k').collect()
    const abort = new AbortController()
    const running = cancelEnv.execute('cancelled', { dataDir, signal: abort.signal })
    running.catch(() => {})
    const deadline = Date.now() + 60_000
    let files: string[] = []
    while (Date.now() < deadline) {
      files = await spillLeft(dataDir)
      if (files.length > 0 && (await readdir(join(dataDir, 'spill', files[0]!)).catch(() => [])).length > 1) break
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    assert.ok(files.length > 0, 'the sort spilled before the job was cancelled')
    abort.abort()
    let cancelled: Error | undefined
    try {
      await running
    } catch (e) {
      cancelled = e as Error
    }
    assert.is(cancelled?.name, 'JobCancelledError')
    assert.equal(await spillLeft(dataDir), [])
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
})

Spill.run()
