import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { DatasetSchema } from '../../../node/api/dataset-schema.ts'
import { JobDatasets, type JobDatasetsComponents } from '../../../node/cluster/job-datasets.ts'
import { DatasetCatalog } from '../../../node/cluster/dataset-catalog.ts'
import { encodeSegment } from '../../../node/storage/datasets/segment-codec.ts'
import { readSegment, valueAt, type SegmentView } from '../../../node/storage/datasets/segment-reader.ts'
import { SegmentColumnCache } from '../../../node/storage/datasets/segment-column-cache.ts'

const test = suite('JobDatasets')

const schema: DatasetSchema = { columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'number' }, { name: 'qty', type: 'number' }] }
const bytes = encodeSegment(schema, Array.from({ length: 200 }, (_, i) => ({ store: `s${i % 4}`, amount: i % 9 === 0 ? null : i * 0.5, qty: i }))).bytes

/** A peer's datasets over a map of blocks, counting block reads. */
function datasets (columns?: SegmentColumnCache): { access: JobDatasets, reads: () => number } {
  let reads = 0
  const unused = async (): Promise<never> => { throw new Error('Not used here') }
  const components: JobDatasetsComponents = {
    catalog: () => new DatasetCatalog({ pinned: () => new Set() }),
    storeBlock: unused,
    fetchBlock: async cid => { reads++; if (cid !== 'seg') throw new Error(`Block ${cid} not found`); return bytes.slice() },
    storeLarge: unused,
    fetchLarge: unused,
    commit: unused,
    ...(columns === undefined ? {} : { columns })
  }
  return { access: new JobDatasets(components), reads: () => reads }
}

function values (view: SegmentView): unknown[][] {
  return [...view.columns.values()].map(c => Array.from({ length: view.rows }, (_, i) => valueAt(c, i)))
}

test('readColumns decodes the asked columns as readSegment does, with the peer\'s cache or without one', async () => {
  const want = values(readSegment(bytes, schema, { columns: ['qty', 'store'] }))
  const plain = datasets()
  assert.equal(values(await plain.access.readColumns('seg', schema, ['qty', 'store'])), want)
  assert.equal(values(await plain.access.readColumns('seg', schema, ['qty', 'store'])), want)
  assert.is(plain.reads(), 2, 'without a cache every read fetches the block')
  const cache = new SegmentColumnCache()
  const cached = datasets(cache)
  assert.equal(values(await cached.access.readColumns('seg', schema, ['qty', 'store'])), want)
  assert.equal(values(await cached.access.readColumns('seg', schema, ['qty', 'store'])), want)
  assert.is(cached.reads(), 1, 'the cache serves the second read')
  assert.is(cache.stats().hits, 2)
})

test('readColumns fails as the block read fails, and honours an aborted signal', async () => {
  const { access } = datasets(new SegmentColumnCache())
  try { await access.readColumns('missing', schema, ['qty']); assert.unreachable() } catch (err) { assert.match((err as Error).message, 'Block missing not found') }
  try { await access.readColumns('seg', schema, ['qty'], { signal: AbortSignal.abort() }); assert.unreachable() } catch (err) { assert.is((err as Error).name, 'AbortError') }
})

test.run()
