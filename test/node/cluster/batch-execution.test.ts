/**
 * Batch execution on an embedded peer (see node/cluster/batch-scheduler.ts): DataSet
 * pipelines run stage by stage through blocking exchanges give what the pipelined run
 * gives (fast-check, p=1 and 4); a job with more subtasks than the peer has slots runs
 * (never more regions at once than slots); automatic mode picks batch for dataset scans
 * only; progress is in `jobs()`.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment, count, sum, type DataSet, type RuntimeExecutionMode } from '../../../node/index.ts'
import { Peer } from '../../../node/cluster/peer.ts'
import { defineJob } from '../../../node/api/job.ts'

const Batch = suite('batch execution')

interface Row { id: number, k: string | null, v: number }
const rowsArb = (base: number): fc.Arbitrary<Row[]> => fc.array(fc.record({ k: fc.constantFrom<string | null>('a', 'b', 'c', 'd', null), v: fc.integer({ min: -20, max: 20 }) }), { maxLength: 60 })
  .map(rs => rs.map((r, i) => ({ id: base + i, ...r })))

const canon = (xs: readonly unknown[]): string[] => xs.map(x => JSON.stringify(x, (_k, v) => typeof v === 'bigint' ? `${v}n` : v)).sort()

/** Joins of every kind, a grouped aggregate, distinct and a global sort with first(n), in one job. */
function pipeline (env: StreamEnvironment, ls: Row[], rs: Row[]): { values: unknown[] }[] {
  const l: DataSet<Row> = env.fromCollection(ls).toDataSet().map(r => r)
  const r: DataSet<Row> = env.fromCollection(rs).toDataSet().filter(() => true)
  const pair = (a: Row | null, b: Row | null): [number | null, number | null] => [a?.id ?? null, b?.id ?? null]
  return [
    l.join(r).where('k').equalTo('k').with(pair).collect(),
    l.fullOuterJoin(r).where('k').equalTo('k').with(pair).collect(),
    l.leftOuterJoin(r, { strategy: 'broadcast-second' }).where('k').equalTo('k').with(pair).collect(),
    l.union(r).groupBy('k').aggregate({ s: sum('v'), n: count() }).collect(),
    l.map(x => x.v).distinct().collect(),
    r.orderBy(x => x.v).first(5).map(x => x.v).collect()
  ]
}

async function run (mode: RuntimeExecutionMode, p: number, ls: Row[], rs: Row[]): Promise<string[][]> {
  const env = StreamEnvironment.create({ parallelism: p }).setRuntimeMode(mode)
  const outs = pipeline(env, ls, rs)
  await env.execute(`batch-${mode}`)
  return outs.map(o => canon(o.values))
}

for (const p of [1, 4]) {
  Batch(`joins, groupBy, distinct and orderBy run in batch mode give what the pipelined run gives at p=${p}`, async () => {
    await fc.assert(fc.asyncProperty(rowsArb(0), rowsArb(1000), async (ls, rs) => {
      assert.equal(await run('batch', p, ls, rs), await run('streaming', p, ls, rs))
    }), { numRuns: 6 })
  })
}

/** Runs the environment's job on an embedded peer with `slots` slots; resolves with the peer's view of it. */
async function onPeer (env: StreamEnvironment, slots: number, watch?: (peer: Peer) => void): Promise<{ state: string, error: string | undefined, jobs: ReturnType<Peer['jobs']>, id: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-batch-'))
  const peer = await Peer.start({ dataDir: dir, embedded: true, slots })
  try {
    await peer.mark('test')
    watch?.(peer)
    const jobs = peer.jobService
    const id = await jobs.submitDefinition({ ...defineJob(() => {}), environment: env }, { name: 'batch', parallelism: env.parallelism })
    const ended = await jobs.result(id)
    return { ...ended, jobs: peer.jobs(), id }
  } finally {
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

Batch('a join + groupBy at p=4 runs on a peer with 2 slots, never more than 2 regions at once; its progress is in jobs()', async () => {
  const orders = Array.from({ length: 3000 }, (_, i) => ({ id: i, customer: i % 37, amount: (i * 7) % 101 }))
  const customers = Array.from({ length: 37 }, (_, i) => ({ customer: i, region: `r${i % 5}` }))
  const build = (mode: RuntimeExecutionMode): { env: StreamEnvironment, out: { values: unknown[] } } => {
    const env = StreamEnvironment.create({ parallelism: 4 }).setRuntimeMode(mode)
    const o = env.fromCollection(orders).toDataSet().map(x => x)
    const c = env.fromCollection(customers).toDataSet().map(x => x)
    const out = o.join(c).where('customer').equalTo('customer').with((a, b) => ({ region: b.region, amount: a.amount }))
      .groupBy('region').aggregate({ total: sum('amount') }).collect()
    return { env, out }
  }
  const streaming = build('streaming')
  const refused = await onPeer(streaming.env, 2).catch((err: Error) => ({ state: 'REFUSED', error: err.message }))
  assert.is(refused.state, 'REFUSED', 'pipelined, the job needs 4 slots')
  assert.match(refused.error ?? '', /Not enough task slots/)

  const batch = build('batch')
  let most = 0
  const ended = await onPeer(batch.env, 2, peer => {
    peer.jobService.registry.on('region-deployed', e => {
      const running = e.job.batch!.regions.filter(r => r.state === 'RUNNING').length
      most = Math.max(most, running)
    })
  })
  assert.equal({ state: ended.state, error: ended.error }, { state: 'FINISHED', error: undefined })
  assert.ok(most >= 1 && most <= 2, `at most 2 regions ran at once, saw ${most}`)
  const expected = new Map<string, number>()
  for (const o of orders) expected.set(`r${o.customer % 5}`, (expected.get(`r${o.customer % 5}`) ?? 0) + o.amount)
  assert.equal(canon(batch.out.values), canon([...expected].map(([region, total]) => ({ region, total }))))
  const info = ended.jobs.find(j => j.id === ended.id)!
  assert.ok(info.batch !== undefined, 'a batch job shows its progress')
  assert.is(info.batch.regions.done, info.batch.regions.total)
  assert.is(info.batch.stages.done, info.batch.stages.total)
  assert.is(info.batch.regions.running, 0)
  assert.is(info.batch.reruns, 0)
  assert.is(info.batch.recordsRead, orders.length + customers.length)
  assert.ok(info.batch.recordsWritten >= orders.length, `records written to exchanges: ${info.batch.recordsWritten}`)
})

Batch('automatic mode runs dataset scans in batch and collections pipelined; an explicit streaming mode stays pipelined', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-batch-auto-'))
  try {
    const write = StreamEnvironment.create({ parallelism: 2 })
    write.fromCollection(Array.from({ length: 200 }, (_, i) => ({ id: i, k: `k${i % 3}` }))).toDataSet().writeDataset('rows', { partitionBy: 'k', partitions: 3 })
    await write.execute('write', { dataDir: dir })
    const peer = await Peer.start({ dataDir: dir, embedded: true })
    try {
      await peer.mark('test')
      const kinds: Record<string, boolean> = {}
      for (const [name, make] of Object.entries({
        scan: (env: StreamEnvironment) => env.readDataset<{ id: number, k: string }>('rows').groupBy('k').aggregate({ n: count() }).collect(),
        collection: (env: StreamEnvironment) => env.fromCollection([1, 2, 3]).toDataSet().map(x => x).collect(),
        streamingScan: (env: StreamEnvironment) => env.setRuntimeMode('streaming').readDataset<{ id: number, k: string }>('rows').map(r => r.id).collect()
      })) {
        const env = StreamEnvironment.create({ parallelism: 2 })
        const out = make(env)
        const id = await peer.jobService.submitDefinition({ ...defineJob(() => {}), environment: env }, { name, parallelism: 2 })
        assert.is((await peer.jobService.result(id)).state, 'FINISHED', name)
        kinds[name] = peer.jobService.registry.job(id)!.batch !== undefined
        assert.ok(out.values.length > 0, `${name} produced rows`)
      }
      assert.equal(kinds, { scan: true, collection: false, streamingScan: false })
    } finally {
      await peer.stop()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

Batch('a failing operator fails a batch job naming it, after a bounded number of runs of its region', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 }).setRuntimeMode('batch')
  env.fromCollection([1, 2, 3]).toDataSet().map(x => x).groupBy(x => x % 2).reduce((a, b) => a + b).map(() => { throw new Error('boom') }).name('exploder').collect()
  let runs = 0
  const ended = await onPeer(env, 4, peer => {
    peer.jobService.registry.on('region-deployed', e => { if (e.region === e.job.batch!.regions.length - 1) runs++ })
  })
  assert.is(ended.state, 'FAILED')
  assert.match(ended.error ?? '', /exploder/)
  assert.match(ended.error ?? '', /boom/)
  assert.ok(runs >= 2 && runs <= 3 * 2, `the failing region ran again, boundedly: ${runs}`)
})

Batch.run()
