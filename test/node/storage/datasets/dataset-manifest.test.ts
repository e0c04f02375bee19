/**
 * The dataset manifest block: a round trip keeps every field (an int64 statistic stays a
 * bigint), every malformed manifest is an InvalidDatasetManifestError naming the field, a
 * manifest past the block limit is refused up front, and random bytes or mutated manifests
 * never throw anything else.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { encodeCbor, decodeCbor } from '../../../../protocol/cbor.ts'
import {
  datasetManifestReferences, datasetManifestTotals, decodeDatasetManifest, encodeDatasetManifest, isDatasetManifest, MAX_DATASET_SEGMENTS
} from '../../../../node/storage/datasets/dataset-manifest.ts'
import { cid, sampleManifest, segment } from './sample-manifest.ts'

const test = suite('DatasetManifest codec')

/** A manifest's wire object with `change` applied (to forge malformed ones). */
function forged (change: (o: any) => void): Uint8Array {
  const o = decodeCbor('t', encodeDatasetManifest(sampleManifest())) as any
  change(o)
  return encodeCbor(o)
}

test('round trip keeps every field; an int64 statistic stays a bigint', () => {
  const m = sampleManifest()
  const back = decodeDatasetManifest(encodeDatasetManifest(m))
  assert.equal(back, m)
  assert.is(typeof back.partitions[0]![0]!.stats.qty!.min, 'bigint')
  const rr = sampleManifest({ partitioning: { kind: 'round-robin', partitions: 1 }, partitions: [[]] })
  assert.equal(decodeDatasetManifest(encodeDatasetManifest(rr)), rr)
})

test('references are the segment CIDs, each once; totals add rows and bytes', () => {
  const m = sampleManifest({ partitions: [[segment('a'), segment('b', 5)], [segment('a')]] })
  assert.equal(datasetManifestReferences(m).sort(), [cid('a'), cid('b')].sort())
  assert.equal(datasetManifestTotals(m), { rows: 25, bytes: 400, segments: 3 })
})

test('isDatasetManifest tells a dataset manifest by its type tag', () => {
  assert.ok(isDatasetManifest(encodeDatasetManifest(sampleManifest())))
  assert.not.ok(isDatasetManifest(encodeCbor({ version: 1, operators: [] })))
  assert.not.ok(isDatasetManifest(new Uint8Array([1, 2, 3])))
})

test('malformed manifests are InvalidDatasetManifestError naming the field', () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(0), /empty/],
    [new Uint8Array([0xff, 0x00]), /CBOR/],
    [encodeCbor([1, 2]), /must be a map/],
    [forged(o => { o.type = 'meshflow-manifest' }), /field 'type' must be 'meshflow-dataset'/],
    [forged(o => { o.extra = 1 }), /field 'extra' is not a field/],
    [forged(o => { o.name = '9lives' }), /field 'name' must be a dataset name/],
    [forged(o => { o.name = 'a/b' }), /field 'name'/],
    [forged(o => { o.version = 0 }), /field 'version' must be at least 1/],
    [forged(o => { o.version = 1.5 }), /field 'version' must be a non-negative integer/],
    [forged(o => { o.schema.columns = [] }), /schema.columns' must name at least one column/],
    [forged(o => { o.schema.columns[1].name = 'store' }), /schema.columns\[1\].name' names column "store" a second time/],
    [forged(o => { o.schema.columns[1].type = 'float' }), /schema.columns\[1\].type' must be one of/],
    [forged(o => { o.partitioning.column = 'nope' }), /partitioning.column' must be a column of the schema/],
    [forged(o => { o.partitioning.partitions = 3 }), /field 'partitions' must list 3 partitions/],
    [forged(o => { o.partitioning = { kind: 'round-robin', partitions: 2, column: 'store' } }), /partitioning.column' must be absent/],
    [forged(o => { o.partitions[0] = 'x' }), /partitions\[0\]' must be an array of segments/],
    [forged(o => { o.partitions[0][1].cid = 'not-a-cid' }), /partitions\[0\]\[1\].cid' must be a meshflow block CID/],
    [forged(o => { o.partitions[1][0].rows = -1 }), /partitions\[1\]\[0\].rows' must be a non-negative integer/],
    [forged(o => { o.partitions[1][0].bytes = '7' }), /partitions\[1\]\[0\].bytes' must be a non-negative integer/],
    [forged(o => { o.partitions[0][0].stats.nope = { min: 1, max: 2, nulls: 0 } }), /stats.nope' is not a column of the schema/],
    [forged(o => { o.partitions[0][0].stats.amount.min = 'x' }), /stats.amount.min' must be a number or null/],
    [forged(o => { o.partitions[0][0].stats.qty.max = 2n ** 64n }), /stats.qty.max' must be a 64-bit integer/],
    [forged(o => { o.partitions[0][0].stats.store.max = null }), /must have both min and max/],
    [forged(o => { o.partitions[0][0].stats.amount.min = 1000 }), /stats.amount.min' must not be greater than max/],
    [forged(o => { o.partitions[0][0].stats.amount.nulls = 11 }), /stats.amount.nulls' must not exceed the segment's 10 rows/],
    [forged(o => { o.createdAt = -1 }), /field 'createdAt'/]
  ]
  for (const [bytes, expected] of cases) {
    try {
      decodeDatasetManifest(bytes)
      assert.unreachable(`accepted, expected ${String(expected)}`)
    } catch (err) {
      assert.is((err as Error).name, 'InvalidDatasetManifestError', String(err))
      assert.match((err as Error).message, expected)
    }
  }
})

test('a version of more segments than a manifest may hold is refused naming the limit', () => {
  const many = Array.from({ length: MAX_DATASET_SEGMENTS + 1 }, (_, i) => ({ cid: cid(`s${i}`), rows: 1, bytes: 1, stats: {} }))
  try {
    encodeDatasetManifest(sampleManifest({ partitioning: { kind: 'round-robin', partitions: 1 }, partitions: [many] }))
    assert.unreachable('accepted')
  } catch (err) {
    assert.is((err as Error).name, 'DatasetManifestTooLargeError')
    assert.match((err as Error).message, `lists ${MAX_DATASET_SEGMENTS + 1} segments, more than the ${MAX_DATASET_SEGMENTS}`)
  }
  // within the segment limit but past a block: long string statistics
  const long = 'x'.repeat(400)
  const fat = Array.from({ length: 2000 }, (_, i) => ({ cid: cid(`s${i}`), rows: 1, bytes: 1, stats: { store: { min: long, max: long, nulls: 0 } } }))
  try {
    encodeDatasetManifest(sampleManifest({ partitioning: { kind: 'round-robin', partitions: 1 }, partitions: [fat] }))
    assert.unreachable('accepted')
  } catch (err) {
    assert.is((err as Error).name, 'DatasetManifestTooLargeError')
    assert.match((err as Error).message, /more than a block \(1048576\)/)
  }
})

test('random bytes and mutated manifests decode or throw InvalidDatasetManifestError, nothing else', () => {
  const good = encodeDatasetManifest(sampleManifest())
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), bytes => {
    try { decodeDatasetManifest(bytes) } catch (err) { assert.is((err as Error).name, 'InvalidDatasetManifestError') }
  }), { numRuns: 2000, seed: 12 })
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(good.byteLength - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), flips => {
    const bytes = good.slice()
    for (const [i, b] of flips) bytes[i] = b
    try { decodeDatasetManifest(bytes) } catch (err) { assert.is((err as Error).name, 'InvalidDatasetManifestError') }
  }), { numRuns: 3000, seed: 13 })
  fc.assert(fc.property(fc.anything(), v => {
    try { decodeDatasetManifest(encodeCbor({ ...(decodeCbor('t', good) as object), schema: v })) } catch (err) { assert.is((err as Error).name, 'InvalidDatasetManifestError') }
  }), { numRuns: 500, seed: 14 })
})

test.run()
