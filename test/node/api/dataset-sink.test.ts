/**
 * datasetSink and datasetSource on the embedded peer: a stream lands in a dataset (one
 * version at the end without checkpoints, a version per checkpoint with them), exactly once
 * when a task fails after some checkpoints and the job restarts from the latest one; the
 * dataset replays through a streaming job with event time from a timestamp assigner.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment, TumblingEventTimeWindows, WatermarkStrategy, datasetSink, datasetSource } from '../../../node/index.ts'
import { datagen } from '../../../connectors/datagen/index.ts'
import { Peer } from '../../../node/cluster/peer.ts'

const test = suite('datasetSink / datasetSource')

interface Ev { id: number, key: string, ts: number, v: number }
const SCHEMA = { columns: [{ name: 'id', type: 'number' as const }, { name: 'key', type: 'string' as const }, { name: 'ts', type: 'timestamp' as const }, { name: 'v', type: 'number' as const }] }

function ev (i: number): Ev {
  return { id: i, key: `k${(i * 7919) % 5}`, ts: 1_000_000 + i * 10, v: (i % 13) + 1 }
}

let dir = ''
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'meshflow-dataset-sink-')) })
test.after.each(() => { rmSync(dir, { recursive: true, force: true }) })

async function readBack (name: string): Promise<Ev[]> {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const out = env.readDataset<Ev>(name).collect()
  await env.execute('read back', { dataDir: dir })
  return out.values.sort((a, b) => a.id - b.id)
}

/** The catalog's record of dataset `name` in `dir` (versions, commit ids). */
async function catalogOf (name: string): Promise<{ latest: number, commits: string[] }> {
  const peer = await Peer.start({ dataDir: dir, embedded: true })
  try {
    await peer.mark('test')
    const d = peer.jobService.registry.datasets.dataset(name)
    return { latest: d?.versions.at(-1)?.version ?? 0, commits: d?.commits.map(c => c.id) ?? [] }
  } finally {
    await peer.stop()
  }
}

/** Every id of 0..count-1 exactly once (names the first one missing or doubled). */
function assertExactlyOnce (rows: readonly Ev[], count: number): void {
  const seen = new Map<number, number>()
  for (const r of rows) seen.set(r.id, (seen.get(r.id) ?? 0) + 1)
  for (let i = 0; i < count; i++) {
    const n = seen.get(i) ?? 0
    if (n !== 1) assert.unreachable(`record ${i} is in the dataset ${n} times (${rows.length} rows for ${count} records)`)
  }
  assert.is(rows.length, count)
  assert.equal(rows.slice(0, 3), [ev(0), ev(1), ev(2)], 'the rows are the records')
}

test('without checkpointing the stream becomes one version at the end of the input', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  env.fromSource(datagen({ count: 5_000, generate: ev }), WatermarkStrategy.noWatermarks(), 'events')
    .sinkTo(datasetSink<Ev>('events', { partitionBy: 'key', partitions: 3, schema: SCHEMA }))
  await env.execute('to dataset', { dataDir: dir })
  assertExactlyOnce(await readBack('events'), 5_000)
  const catalog = await catalogOf('events')
  assert.is(catalog.latest, 1)
  assert.is(catalog.commits.length, 1)
})

test('with checkpoints a version per checkpoint; a failure after some checkpoints loses and doubles nothing', async () => {
  const COUNT = 8_000
  let seen = 0
  let failedAt = -1
  const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 40 })
  env.setRestartStrategy({ kind: 'fixed-delay', attempts: 3, delayMs: 10 })
  env.fromSource(datagen({ count: COUNT, generate: ev, ratePerSec: 8_000 }), WatermarkStrategy.noWatermarks(), 'events')
    .map(e => {
      // once, half-way through: rows before it were committed by earlier checkpoints, the
      // rest of the last checkpoint's epoch was stored as segments nobody will commit
      if (++seen === COUNT / 2 && failedAt < 0) {
        failedAt = seen
        throw new Error('injected failure')
      }
      return e
    }).uid('maybe-fail')
    .sinkTo(datasetSink<Ev>('events', { partitionBy: 'key', partitions: 3 })).uid('events-sink')
  const result = await env.execute('to dataset with checkpoints', { dataDir: dir })
  assert.ok(failedAt > 0, 'the failure was injected')
  assert.is(result.restarts, 1)
  assert.ok((result.checkpoints ?? 0) >= 3, `checkpoints completed: ${result.checkpoints}`)
  assertExactlyOnce(await readBack('events'), COUNT)
  const catalog = await catalogOf('events')
  assert.ok(catalog.latest >= 3, `a version per checkpoint with input (latest version ${catalog.latest})`)
  assert.is(new Set(catalog.commits).size, catalog.commits.length, 'every commit id once')
  assert.ok(catalog.commits.every(id => /^[^/]+\/(cp-\d+|final)$/.test(id)), catalog.commits.join(', '))
})

test('writeDataset appends exactly once in a job with checkpoints and a failure; an overwrite there is refused', async () => {
  const COUNT = 6_000
  let seen = 0
  let failedAt = -1
  const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 40 })
  env.setRestartStrategy({ kind: 'fixed-delay', attempts: 3, delayMs: 10 })
  env.fromSource(datagen({ count: COUNT, generate: ev, ratePerSec: 8_000 }), WatermarkStrategy.noWatermarks(), 'events')
    .map(e => {
      if (++seen === COUNT / 2 && failedAt < 0) {
        failedAt = seen
        throw new Error('injected failure')
      }
      return e
    }).uid('maybe-fail')
    .toDataSet().writeDataset('events', { partitionBy: 'key', partitions: 2 })
  const result = await env.execute('writeDataset with checkpoints', { dataDir: dir })
  assert.ok(failedAt > 0, 'the failure was injected')
  assert.is(result.restarts, 1)
  assertExactlyOnce(await readBack('events'), COUNT)

  const over = StreamEnvironment.create({ checkpointIntervalMs: 40 })
  over.fromSource(datagen({ count: 10, generate: ev }), WatermarkStrategy.noWatermarks(), 'events').toDataSet().writeDataset('events', { mode: 'overwrite' })
  assert.throws(() => over.getJobGraph(), /writeDataset\('events', \{ mode: 'overwrite' \}\) cannot run in a job with checkpoints/)
})

test('datasetSource replays a dataset through a streaming job, event time from a timestamp assigner', async () => {
  const COUNT = 3_000
  const write = StreamEnvironment.create({ parallelism: 2 })
  write.fromSource(datagen({ count: COUNT, generate: ev }), WatermarkStrategy.noWatermarks(), 'events').sinkTo(datasetSink<Ev>('events', { schema: SCHEMA }))
  await write.execute('write', { dataDir: dir })

  const env = StreamEnvironment.create({ parallelism: 3 })
  // replayed partition by partition, out of order across partitions: a bounded lateness covers it
  const sums = env.fromSource(datasetSource<Ev>('events'), WatermarkStrategy.noWatermarks<Ev>().withTimestampAssigner(e => e.ts), 'history')
    .keyBy(e => e.key)
    .window(TumblingEventTimeWindows.of(1_000))
    .aggregate({ createAccumulator: () => 0, add: (e: Ev, acc: number) => acc + e.v, getResult: (acc: number) => acc },
      (key, w, sum) => `${String(key)}@${w.start}=${sum}`)
    .collect()
  const projected = env.fromSource(datasetSource<{ id: number }>('events', { columns: ['id'], predicate: { op: '<', column: 'id', value: 10 } }), WatermarkStrategy.noWatermarks(), 'ids').collect()
  await env.execute('replay', { dataDir: dir })

  const expected = new Map<string, number>()
  for (let i = 0; i < COUNT; i++) {
    const e = ev(i)
    const k = `${e.key}@${Math.floor(e.ts / 1_000) * 1_000}`
    expected.set(k, (expected.get(k) ?? 0) + e.v)
  }
  assert.equal(sums.values.sort(), [...expected].map(([k, s]) => `${k}=${s}`).sort())
  assert.equal(projected.values.sort((a, b) => a.id - b.id), Array.from({ length: 10 }, (_, id) => ({ id })))
})

test('misuse fails when the job is built, naming the dataset', () => {
  assert.throws(() => datasetSink('9 bad'), /datasetSink: "9 bad" is not a dataset name/)
  assert.throws(() => datasetSource('9 bad'), /datasetSource: "9 bad" is not a dataset name/)
  assert.throws(() => datasetSource('sales', { version: 0 }), /datasetSource\('sales'\): version must be a positive integer/)
  const env = StreamEnvironment.create({ parallelism: 2 })
  const s = env.fromCollection([{ a: 1 }])
  assert.throws(() => s.sinkTo(datasetSink('sales', { partitions: 0 })), /datasetSink\('sales'\): partitions must be an integer/)
  assert.throws(() => s.sinkTo(datasetSink('sales', { partitionBy: 'b', schema: { columns: [{ name: 'a', type: 'number' }] } })), /datasetSink\('sales'\): partitionBy names 'b'/)
})

test.run()
