/**
 * A task thread's DatasetAccess: calls cross to the main thread's DatasetAccess and back;
 * with its thread's column cache, a segment's columns read a second time do not cross.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { DatasetAccess } from '../../../../node/api/dataset-access.ts'
import type { DatasetSchema } from '../../../../node/api/dataset-schema.ts'
import { DatasetAccessProxy, answerDatasetCall } from '../../../../node/runtime/threads/dataset-access-proxy.ts'
import { encodeSegment } from '../../../../node/storage/datasets/segment-codec.ts'
import { readSegment, valueAt, type SegmentView } from '../../../../node/storage/datasets/segment-reader.ts'
import { SegmentColumnCache } from '../../../../node/storage/datasets/segment-column-cache.ts'

const test = suite('DatasetAccessProxy')

const schema: DatasetSchema = { columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'number' }] }
const bytes = encodeSegment(schema, Array.from({ length: 300 }, (_, i) => ({ store: `s${i % 5}`, amount: i % 7 === 0 ? null : i / 4 }))).bytes

/** A proxy whose calls the "main thread" answers from a DatasetAccess holding one segment, counting its reads. */
function proxied (columns?: SegmentColumnCache): { proxy: DatasetAccessProxy, reads: () => number } {
  let reads = 0
  const unused = async (): Promise<never> => { throw new Error('Not used here') }
  const main: DatasetAccess = {
    manifest: unused,
    readSegment: async cid => { reads++; if (cid !== 'seg') throw new Error(`Block ${cid} not found`); return bytes },
    writeSegment: unused,
    commit: unused
  }
  const proxy: DatasetAccessProxy = new DatasetAccessProxy(m => {
    void answerDatasetCall(main, m, new AbortController().signal).then(reply => { proxy.onReply(reply) })
  }, columns === undefined ? {} : { columns })
  return { proxy, reads: () => reads }
}

function values (view: SegmentView): unknown[][] {
  return [...view.columns.values()].map(c => Array.from({ length: view.rows }, (_, i) => valueAt(c, i)))
}

test('readColumns decodes what the main thread sends; with a cache, the second read stays in the thread', async () => {
  const want = values(readSegment(bytes, schema, { columns: ['amount', 'store'] }))
  const plain = proxied()
  assert.equal(values(await plain.proxy.readColumns('seg', schema, ['amount', 'store'])), want)
  assert.equal(values(await plain.proxy.readColumns('seg', schema, ['amount', 'store'])), want)
  assert.is(plain.reads(), 2)
  const cached = proxied(new SegmentColumnCache({ maxBytes: 1 << 20 }))
  assert.equal(values(await cached.proxy.readColumns('seg', schema, ['amount', 'store'])), want)
  assert.equal(values(await cached.proxy.readColumns('seg', schema, ['amount', 'store'])), want)
  assert.is(cached.reads(), 1)
})

test('readColumns fails with the main thread\'s error, and at once when its signal is aborted', async () => {
  const { proxy, reads } = proxied(new SegmentColumnCache())
  try { await proxy.readColumns('nope', schema, ['amount']); assert.unreachable() } catch (err) { assert.match((err as Error).message, 'Block nope not found') }
  try { await proxy.readColumns('seg', schema, ['amount'], { signal: AbortSignal.abort() }); assert.unreachable() } catch (err) { assert.is((err as Error).name, 'AbortError') }
  assert.is(reads(), 1)
})

test.run()
