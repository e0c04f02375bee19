/**
 * Datasets end to end on an embedded peer: a job writes a dataset (segments in the block
 * store, one version committed through the JobManager), later jobs read it back — every
 * row, only the columns asked for, only the rows a predicate lets through, an older
 * version — and appends and overwrites make new versions atomically.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment } from '../../../../node/index.ts'
import { Peer } from '../../../../node/cluster/peer.ts'

const io = suite('datasets end to end')

interface Sale { id: number, store: string, amount: number, qty: bigint, ok: boolean, note: string | null }

function sales (from: number, n: number): Sale[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k
    return { id: i, store: `s${i % 7}`, amount: (i % 100) + 0.5, qty: BigInt(i % 13), ok: i % 3 === 0, note: i % 5 === 0 ? null : `n${i}` }
  })
}

/** The error `p` rejects with, with its causes' messages (fails when it resolves). */
async function rejection (p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    let text = ''
    for (let e: unknown = err; e instanceof Error; e = e.cause) text += `${e.message} | `
    return text
  }
  throw new Error('expected the promise to reject')
}

const byId = (a: { id: number }, b: { id: number }): number => a.id - b.id

let dir = ''
io.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'meshflow-dataset-io-')) })
io.after.each(() => { rmSync(dir, { recursive: true, force: true }) })

async function write (rows: Sale[], options: Parameters<ReturnType<StreamEnvironment['fromCollection']>['toDataSet']>[0] & object = {}, write: { mode?: 'append' | 'overwrite', partitionBy?: string, partitions?: number } = {}, parallelism = 2): Promise<void> {
  const env = StreamEnvironment.create({ parallelism })
  env.fromCollection(rows).toDataSet(options).map(r => r).writeDataset('sales', write)
  await env.execute('write sales', { dataDir: dir })
}

async function read<T = Sale> (build: (env: StreamEnvironment) => { values: T[] }, parallelism = 3): Promise<T[]> {
  const env = StreamEnvironment.create({ parallelism })
  const out = build(env)
  await env.execute('read sales', { dataDir: dir })
  return out.values
}

io('a dataset written by one job is read back whole by another, at any parallelism', async () => {
  const rows = sales(0, 5_000)
  await write(rows, {}, { partitionBy: 'store', partitions: 4 })
  for (const p of [1, 4]) {
    const back = await read(env => env.readDataset<Sale>('sales').collect(), p)
    assert.equal(back.sort(byId), rows, `read at parallelism ${p}`)
  }
})

io('a scan reads only the columns asked for and only the rows the predicate lets through', async () => {
  const rows = sales(0, 3_000)
  await write(rows)
  const back = await read(env => env.readDataset<{ id: number, amount: number }>('sales', {
    columns: ['id', 'amount'],
    predicate: { op: 'and', args: [{ op: '>=', column: 'amount', value: 90 }, { op: 'is-not-null', column: 'note' }] }
  }).collect())
  const expected = rows.filter(r => r.amount >= 90 && r.note !== null).map(r => ({ id: r.id, amount: r.amount }))
  assert.equal(back.sort(byId), expected)
})

io('appends and overwrites make new versions; an older retained version stays readable', async () => {
  await write(sales(0, 100))
  await write(sales(100, 50))
  const v2 = await read(env => env.readDataset<Sale>('sales').collect())
  assert.equal(v2.sort(byId), sales(0, 150), 'an append adds its rows')
  await write(sales(1000, 10), {}, { mode: 'overwrite' })
  const v3 = await read(env => env.readDataset<Sale>('sales').collect())
  assert.equal(v3.sort(byId), sales(1000, 10), 'an overwrite replaces them')
  const v1 = await read(env => env.readDataset<Sale>('sales', { version: 1 }).collect())
  assert.equal(v1.sort(byId), sales(0, 100), 'version 1 as it was')
})

io('a batch job over a dataset: group, aggregate and order the history', async () => {
  const rows = sales(0, 4_000)
  await write(rows, {}, { partitionBy: 'store', partitions: 3 })
  const { sum, count } = await import('../../../../node/index.ts')
  const back = await read(env => env.readDataset<Sale>('sales')
    .filter(r => r.ok)
    .groupBy('store').aggregate({ revenue: sum('amount'), n: count() })
    .orderBy('store').collect())
  const expected = new Map<string, { store: string, revenue: number, n: number }>()
  for (const r of rows) {
    if (!r.ok) continue
    const e = expected.get(r.store) ?? { store: r.store, revenue: 0, n: 0 }
    e.revenue += r.amount
    e.n++
    expected.set(r.store, e)
  }
  const want = [...expected.values()].sort((a, b) => a.store < b.store ? -1 : 1)
  assert.is(back.length, want.length)
  for (let i = 0; i < want.length; i++) {
    const got = back[i] as unknown as { store: string, revenue: number, n: number }
    assert.is(got.store, want[i]!.store)
    assert.is(got.n, want[i]!.n)
    assert.ok(Math.abs(got.revenue - want[i]!.revenue) < 1e-6, `revenue of ${got.store}`)
  }
})

io('reading a dataset that does not exist fails naming it; a failed write commits nothing', async () => {
  const env = StreamEnvironment.create()
  env.readDataset('nope').collect()
  assert.match(await rejection(env.execute('read nope', { dataDir: dir })), /dataset 'nope', which does not exist/)

  await write(sales(0, 10))
  const failing = StreamEnvironment.create({ parallelism: 2 })
  failing.fromCollection(sales(10, 2_000)).toDataSet().map(r => {
    if (r.id === 1_500) throw new Error('poison row')
    return r
  }).writeDataset('sales')
  assert.match(await rejection(failing.execute('failing write', { dataDir: dir })), /poison row/)
  const back = await read(env => env.readDataset<Sale>('sales').collect())
  assert.equal(back.sort(byId), sales(0, 10), 'the failed job added nothing')
})

io('rows that do not fit the schema fail the write naming the column', async () => {
  const env = StreamEnvironment.create()
  env.fromCollection<Record<string, unknown>>([{ id: 1, amount: 2 }, { id: 2, amount: 'three' }]).toDataSet()
    .writeDataset('typed', { schema: { columns: [{ name: 'id', type: 'number' }, { name: 'amount', type: 'number' }] } })
  assert.match(await rejection(env.execute('bad rows', { dataDir: dir })), /Operator 'write typed' failed: Row 1: column 'amount' expects a number \(number\), got "three"/)
})

io('the catalog of an embedded peer lists what jobs wrote', async () => {
  await write(sales(0, 300), {}, { partitionBy: 'store', partitions: 2 })
  const peer = await Peer.start({ dataDir: dir, embedded: true })
  try {
    await peer.mark('test')
    const list = await peer.jobService.datasets()
    assert.is(list.length, 1)
    assert.is(list[0]!.name, 'sales')
    assert.is(list[0]!.rows, 300)
    assert.is(list[0]!.partitions, 2)
  } finally {
    await peer.stop()
  }
})

io.run()

const threads = suite('datasets on task threads')

threads('a job module on task threads writes and reads datasets through its peer', async () => {
  const d = mkdtempSync(join(tmpdir(), 'meshflow-dataset-threads-'))
  const job = new URL('./fixtures/dataset-job.ts', import.meta.url)
  const peer = await Peer.start({ dataDir: d, embedded: true, threads: 2 })
  try {
    await peer.mark('test')
    const w = await peer.submit(job, { parallelism: 2, args: { mode: 'write', count: '20000' } })
    assert.equal(await w.result(), { state: 'FINISHED', error: undefined })
    const c = await peer.submit(job, { parallelism: 4, args: { mode: 'copy', to: 'copy' } })
    assert.equal(await c.result(), { state: 'FINISHED', error: undefined })
    assert.ok(peer.jobService.registry.job(c.id)?.batch !== undefined, 'a job reading a dataset runs in batch mode')
    assert.is(peer.jobService.sourceRecords(c.id), 10_000, 'rows the scan let through (the predicate is pushed into it)')
    const list = await peer.jobService.datasets()
    assert.equal(list.map(x => [x.name, x.rows, x.partitions]).sort(), [['copy', 10_000, 4], ['sales', 20_000, 4]])
  } finally {
    await peer.stop()
  }
  // read back what the threads wrote, in this process
  const env = StreamEnvironment.create({ parallelism: 2 })
  const out = env.readDataset<{ id: number, amount: number, thread: number }>('copy').collect()
  await env.execute('read copy', { dataDir: d })
  rmSync(d, { recursive: true, force: true })
  assert.is(out.values.length, 10_000)
  assert.ok(out.values.every(r => r.amount >= 50))
  assert.equal(new Set(out.values.map(r => r.id)).size, 10_000)
  assert.not.ok(out.values.some(r => r.thread === 0), 'no row was read on the main thread')
})

threads.run()
