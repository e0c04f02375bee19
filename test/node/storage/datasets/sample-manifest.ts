/** Dataset manifests for tests: a five-column schema, hash-partitioned on `store`. */
import { cidOf } from '../../../../protocol/cid.ts'
import type { DatasetManifest, SegmentRef } from '../../../../node/storage/datasets/dataset-types.ts'

export const cid = (s: string): string => cidOf(new TextEncoder().encode(s)).toString()
export const segment = (s: string, rows = 10): SegmentRef => ({
  cid: cid(s),
  rows,
  bytes: rows * 16,
  stats: {
    store: { min: 'a', max: 'z', nulls: 0 },
    amount: { min: 0.5, max: 99.5, nulls: 1 },
    qty: { min: -5n, max: 2n ** 62n, nulls: 0 },
    at: { min: null, max: null, nulls: rows },
    ok: { min: false, max: true, nulls: 0 }
  }
})

export function sampleManifest (over: Partial<DatasetManifest> = {}): DatasetManifest {
  return {
    type: 'meshflow-dataset',
    name: 'sales',
    version: 3,
    schema: {
      columns: [
        { name: 'store', type: 'string' }, { name: 'amount', type: 'number' }, { name: 'qty', type: 'int64' },
        { name: 'at', type: 'timestamp' }, { name: 'ok', type: 'boolean' }
      ]
    },
    partitioning: { kind: 'hash', column: 'store', partitions: 2 },
    partitions: [[segment('a'), segment('b', 5)], [segment('c', 7)]],
    createdAt: 1_700_000_000_000,
    ...over
  }
}

