import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { DatasetSchema } from '../../../../node/api/dataset-schema.ts'
import { encodeSegment } from '../../../../node/storage/datasets/segment-codec.ts'
import { readSegment, valueAt, type SegmentView } from '../../../../node/storage/datasets/segment-reader.ts'
import { SEGMENT_ENTRY_BYTES, SegmentColumnCache, columnBytes } from '../../../../node/storage/datasets/segment-column-cache.ts'

const test = suite('SegmentColumnCache')

const schema: DatasetSchema = {
  columns: [
    { name: 'store', type: 'string' },
    { name: 'note', type: 'string' },
    { name: 'amount', type: 'number' },
    { name: 'qty', type: 'number' },
    { name: 'big', type: 'int64' },
    { name: 'ok', type: 'boolean' },
    { name: 'at', type: 'timestamp' }
  ]
}
const ALL = schema.columns.map(c => c.name)

/** Rows with NULLs, a dictionary column (store), plain strings (note), floats, integers, int64, booleans, timestamps. */
function rows (n: number, seed: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    store: i % 7 === 0 ? null : `s${(i + seed) % 3}`,
    note: `note ${i * 31 + seed} ☃`,
    amount: i % 5 === 0 ? null : (i + seed) * 1.25,
    qty: (i + seed) % 50,
    big: BigInt(i) * 1_000_000_007n,
    ok: i % 3 === 0 ? null : i % 2 === 0,
    at: 1_700_000_000_000 + i * 1000 + seed
  }))
}

function segment (n: number, seed: number): Uint8Array {
  return encodeSegment(schema, rows(n, seed)).bytes
}

function values (view: SegmentView): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {}
  for (const [name, column] of view.columns) out[name] = Array.from({ length: view.rows }, (_, i) => valueAt(column, i))
  return out
}

/** A loader that counts its calls and hands out copies (as a store's read does). */
function loader (bytes: Uint8Array): { load: () => Promise<Uint8Array>, calls: () => number } {
  let calls = 0
  return { load: async () => { calls++; return bytes.slice() }, calls: () => calls }
}

test('a cached read equals an uncached one, column by column and in the order asked', async () => {
  const bytes = segment(300, 1)
  const cache = new SegmentColumnCache({ maxBytes: 10 * 1024 * 1024 })
  const { load, calls } = loader(bytes)
  const asked = ['at', 'store', 'amount', 'note', 'big', 'ok']
  const first = await cache.read('seg-1', schema, asked, load)
  const second = await cache.read('seg-1', schema, asked, load)
  const uncached = readSegment(bytes, schema, { columns: asked })
  assert.equal([...first.columns.keys()], asked)
  assert.equal(values(first), values(uncached))
  assert.equal(values(second), values(uncached))
  assert.is(first.rows, 300)
  assert.is(second.rows, 300)
  assert.is(calls(), 1, 'the second read takes every column from the cache')
  assert.equal(cache.stats().hits, asked.length)
  assert.equal(cache.stats().misses, asked.length)
})

test('reads only the columns it lacks: a later read asking for more loads the segment once more, then has them all', async () => {
  const bytes = segment(100, 2)
  const cache = new SegmentColumnCache({ maxBytes: 10 * 1024 * 1024 })
  const { load, calls } = loader(bytes)
  await cache.read('s', schema, ['amount'], load)
  const wider = await cache.read('s', schema, ['qty', 'amount', 'store'], load)
  assert.is(calls(), 2)
  assert.equal(values(wider), values(readSegment(bytes, schema, { columns: ['qty', 'amount', 'store'] })))
  await cache.read('s', schema, ['store', 'qty'], load)
  assert.is(calls(), 2)
  assert.equal(cache.stats().misses, 3, 'amount was decoded once')
})

test('cached columns do not hold the segment\'s bytes: each has arrays of its own, and the budget counts them', async () => {
  const bytes = segment(500, 3)
  const cache = new SegmentColumnCache({ maxBytes: 10 * 1024 * 1024 })
  const { load } = loader(bytes)
  const view = await cache.read('s', schema, ALL, load)
  let sum = 0
  for (const column of view.columns.values()) {
    sum += columnBytes(column)
    const arrays = [column.nulls, 'values' in column ? column.values : undefined, 'bits' in column ? column.bits : undefined, 'indexes' in column ? column.indexes : undefined, 'offsets' in column ? column.offsets : undefined]
    for (const a of arrays) if (a !== undefined) assert.ok(a.buffer.byteLength < bytes.byteLength, `${column.name}: its array is not a view of the whole segment`)
  }
  assert.is(cache.stats().bytes, sum + SEGMENT_ENTRY_BYTES)
  assert.ok(sum < bytes.byteLength * 2)
})

test('stays within its byte budget, dropping the least recently used segment first', async () => {
  const bytes = [segment(1000, 0), segment(1000, 1), segment(1000, 2)]
  const one = columnBytes(readSegment(bytes[0]!, schema, { columns: ['amount'] }).columns.get('amount')!)
  const cache = new SegmentColumnCache({ maxBytes: 2 * one + one / 2 }) // room for two segments' amount
  const loads: string[] = []
  const read = async (i: number): Promise<void> => {
    await cache.read(`s${i}`, schema, ['amount'], async () => { loads.push(`s${i}`); return bytes[i]! })
    assert.ok(cache.stats().bytes <= cache.stats().maxBytes, 'within the budget')
  }
  await read(0)
  await read(1)
  await read(0) // s0 is now the most recent
  await read(2) // drops s1
  await read(0)
  await read(1)
  assert.equal(loads, ['s0', 's1', 's2', 's1'])
  assert.is(cache.stats().segments, 2)
  assert.is(cache.stats().evictions, 2)
})

test('a segment whose columns are over the budget is served uncached, as readSegment decodes it', async () => {
  const bytes = segment(2000, 4)
  const cache = new SegmentColumnCache({ maxBytes: 1000 })
  const { load, calls } = loader(bytes)
  const a = await cache.read('s', schema, ['amount', 'note'], load)
  const b = await cache.read('s', schema, ['amount', 'note'], load)
  assert.equal(values(a), values(readSegment(bytes, schema, { columns: ['amount', 'note'] })))
  assert.equal(values(b), values(a))
  assert.is(calls(), 2)
  assert.equal(cache.stats().bytes, 0)
  const none = new SegmentColumnCache({ maxBytes: 0 })
  await none.read('s', schema, ['qty'], load)
  assert.is(none.stats().segments, 0)
})

test('a read of no column keeps the segment\'s row count: the next one loads nothing', async () => {
  const bytes = segment(77, 8)
  const cache = new SegmentColumnCache()
  const { load, calls } = loader(bytes)
  assert.is((await cache.read('s', schema, [], load)).rows, 77)
  assert.is((await cache.read('s', schema, [], load)).rows, 77)
  assert.is(calls(), 1)
  assert.is(cache.stats().bytes, SEGMENT_ENTRY_BYTES)
  assert.equal(values(await cache.read('s', schema, ['qty'], load)), values(readSegment(bytes, schema, { columns: ['qty'] })))
  assert.is(calls(), 2)
})

test('concurrent reads of one segment share one load', async () => {
  const bytes = segment(50, 5)
  const cache = new SegmentColumnCache()
  const { load, calls } = loader(bytes)
  const [a, b] = await Promise.all([cache.read('s', schema, ['qty'], load), cache.read('s', schema, ['qty', 'at'], load)])
  assert.is(calls(), 1)
  assert.equal(values(a).qty, values(b).qty)
})

test('a schema that is not the segment\'s is refused as readSegment refuses it, cached or not; a failed load is not kept', async () => {
  const bytes = segment(20, 6)
  const cache = new SegmentColumnCache()
  const { load } = loader(bytes)
  await cache.read('s', schema, ['qty'], load)
  const other: DatasetSchema = { columns: schema.columns.map(c => c.name === 'qty' ? { name: 'qty', type: 'int64' } : c) }
  try { await cache.read('s', other, ['qty'], load); assert.unreachable() } catch (err) { assert.is((err as Error).name, 'CorruptSegmentError') }
  try { await cache.read('s', schema, ['nope'], load); assert.unreachable() } catch (err) { assert.is((err as Error).name, 'UnknownColumnError') }
  let fail = true
  const flaky = async (): Promise<Uint8Array> => { if (fail) { fail = false; throw new Error('Block not found') } return bytes }
  try { await cache.read('t', schema, ['qty'], flaky); assert.unreachable() } catch (err) { assert.match((err as Error).message, 'Block not found') }
  assert.equal(values(await cache.read('t', schema, ['qty'], flaky)).qty, values(readSegment(bytes, schema, { columns: ['qty'] })).qty)
})

test('refuses a budget that is not a non-negative number', () => {
  assert.throws(() => new SegmentColumnCache({ maxBytes: -1 }), /non-negative/)
  assert.throws(() => new SegmentColumnCache({ maxBytes: Number.NaN }), /non-negative/)
})

test.run()
