/**
 * runInProcess (embedded-execution.ts): a read-only pipeline runs on the calling thread
 * over the peer's datasets without becoming a job, reads what a job reads, takes its
 * columns from the peer's column cache the second time, and is cancelled by its signal.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Peer } from '../../../node/cluster/peer.ts'
import { runInProcess, runOnPeer } from '../../../node/cluster/embedded-execution.ts'
import { StreamEnvironment, count, sum } from '../../../node/index.ts'
import type { DatasetSchema } from '../../../node/api/dataset-schema.ts'

const test = suite('runInProcess')

const schema: DatasetSchema = { columns: [{ name: 'id', type: 'number' }, { name: 'store', type: 'string' }, { name: 'amount', type: 'number' }] }
const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, store: `s${i % 7}`, amount: i % 9 === 0 ? null : i * 0.5 }))

/** The rows of `sales` (a scan and a grouped sum), read by `run` on a fresh environment. */
async function read (run: (env: StreamEnvironment) => Promise<unknown>): Promise<{ scanned: string[], sums: string[] }> {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const scanned = env.readDataset<{ id: number, store: string, amount: number | null }>('sales', { columns: ['id', 'amount'] }).collect()
  const sums = env.readDataset<{ store: string, amount: number | null }>('sales', { columns: ['store', 'amount'] })
    .groupBy('store').aggregate({ total: sum('amount'), n: count() }).collect()
  await run(env)
  return { scanned: scanned.values.map(r => JSON.stringify(r)).sort(), sums: sums.values.map(r => JSON.stringify(r)).sort() }
}

test('reads what a job of the peer reads, from the column cache when warm, and is no job', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-in-process-'))
  const peer = await Peer.start({ dataDir: join(dir, 'data'), embedded: true })
  try {
    await peer.mark('test')
    const w = StreamEnvironment.create({ parallelism: 2 })
    w.fromCollection(rows).toDataSet().writeDataset('sales', { schema, partitions: 3 })
    await runOnPeer(peer, w, 'write sales')
    const asJob = await read(async env => await runOnPeer(peer, env, 'read as a job'))
    const jobs = peer.jobService.registry.jobs.length
    const cache = peer.jobService.peerDatasets.columns
    const cold = await read(async env => await runInProcess(peer, env, 'read in process'))
    const missesCold = cache.stats().misses
    const hitsCold = cache.stats().hits
    const warm = await read(async env => await runInProcess(peer, env, 'read in process again'))
    assert.is(asJob.scanned.length, rows.length)
    assert.is(asJob.sums.length, 7)
    assert.equal(cold, asJob)
    assert.equal(warm, asJob)
    assert.is(peer.jobService.registry.jobs.length, jobs, 'no job was recorded')
    assert.ok(hitsCold + missesCold > 0)
    assert.is(cache.stats().misses, missesCold, 'the second run decoded nothing')
    assert.ok(cache.stats().hits > hitsCold)
  } finally {
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a column cache too small for the data still reads it right (it evicts as it goes), and one of 0 keeps nothing', async () => {
  for (const segmentCacheBytes of [40_000, 0]) {
    const dir = mkdtempSync(join(tmpdir(), 'meshflow-in-process-'))
    const peer = await Peer.start({ dataDir: join(dir, 'data'), embedded: true, segmentCacheBytes })
    try {
      await peer.mark('test')
      const w = StreamEnvironment.create({ parallelism: 2 })
      w.fromCollection(rows).toDataSet().writeDataset('sales', { schema, partitions: 3 })
      await runOnPeer(peer, w, 'write sales')
      const asJob = await read(async env => await runOnPeer(peer, env, 'read as a job'))
      const first = await read(async env => await runInProcess(peer, env, 'read in process'))
      const second = await read(async env => await runInProcess(peer, env, 'read in process again'))
      assert.equal(first, asJob)
      assert.equal(second, asJob)
      const stats = peer.jobService.peerDatasets.columns.stats()
      assert.ok(stats.bytes <= segmentCacheBytes, `${stats.bytes} bytes held, at most ${segmentCacheBytes}`)
      if (segmentCacheBytes === 0) assert.is(stats.segments, 0)
      else assert.ok(stats.evictions > 0 && stats.segments > 0, 'it held some segments and dropped others')
    } finally {
      await peer.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
})

test('an aborted signal cancels the run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-in-process-'))
  const peer = await Peer.start({ dataDir: join(dir, 'data'), embedded: true })
  try {
    await peer.mark('test')
    const env = StreamEnvironment.create({ parallelism: 1 })
    env.fromCollection(rows).toDataSet().collect()
    try {
      await runInProcess(peer, env, 'cancelled', { signal: AbortSignal.abort() })
      assert.unreachable()
    } catch (err) {
      assert.is((err as Error).name, 'JobCancelledError')
    }
  } finally {
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
