/**
 * The dataset messages of the client protocol: each decodes to what was encoded, and a
 * malformed one is a MalformedMessageError naming the field (never a crash).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { decodeClientMessage, encodeClientMessage } from '../../protocol/client-codec.ts'
import { encodeCbor } from '../../protocol/cbor.ts'
import { cidOf } from '../../protocol/cid.ts'
import type { DatasetDetail } from '../../protocol/client.ts'
import { rejects } from './arbitraries.ts'

const test = suite('client dataset messages')
const cid = cidOf(new TextEncoder().encode('m')).toString()
const detail: DatasetDetail = {
  name: 'sales', version: 2, schema: { columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'number' }] },
  partitioning: { kind: 'hash', column: 'store', partitions: 2 }, rows: 30, bytes: 900, createdAt: 5,
  versions: [{ version: 1, cid, rows: 10, bytes: 300, createdAt: 1, pinned: true }, { version: 2, cid, rows: 30, bytes: 900, createdAt: 5, pinned: false }],
  partitions: [
    { partition: 0, segments: 2, rows: 20, bytes: 600, holders: [{ peer: 'peerA', segments: 2, bytes: 600 }, { peer: 'peerB', segments: 1, bytes: 300 }] },
    { partition: 1, segments: 1, rows: 10, bytes: 300, holders: [] }
  ]
}

test('round trip of list, show, commit and drop', () => {
  for (const m of [
    { type: 'datasets-request', id: 1 },
    { type: 'datasets-response', id: 1, datasets: [{ name: 'sales', version: 2, cid, partitions: 2, rows: 30, bytes: 900, segments: 3, versions: 2, createdAt: 5 }] },
    { type: 'dataset-show', id: 2, name: 'sales' },
    { type: 'dataset-show-response', id: 2, dataset: detail },
    { type: 'dataset-commit', id: 3, name: 'sales', manifestCid: cid },
    { type: 'dataset-commit', id: 3, name: 'sales', manifestCid: cid, expectedVersion: 0, mode: 'overwrite' },
    { type: 'dataset-commit-response', id: 3, name: 'sales', version: 3, cid },
    { type: 'dataset-drop', id: 4, name: 'sales' },
    { type: 'dataset-drop-response', id: 4, name: 'sales' }
  ] as const) assert.equal(decodeClientMessage(encodeClientMessage(m)), m)
})

test('malformed dataset messages name the field', () => {
  const bad: [unknown, RegExp][] = [
    [{ type: 'dataset-show', id: 1, name: '../etc' }, /field 'name' must be a dataset name/],
    [{ type: 'dataset-commit', id: 1, name: 'sales', manifestCid: 'nope' }, /field 'manifestCid' must be a meshflow block CID/],
    [{ type: 'dataset-commit', id: 1, name: 'sales', manifestCid: cid, expectedVersion: -1 }, /field 'expectedVersion' must be a non-negative integer/],
    [{ type: 'dataset-commit', id: 1, name: 'sales', manifestCid: cid, mode: 'merge' }, /field 'mode' must be one of 'append', 'overwrite'/],
    [{ type: 'dataset-drop', id: 1 }, /field 'name' is missing/],
    [{ type: 'datasets-response', id: 1, datasets: [{ name: 'a', version: 0, cid, partitions: 1, rows: 0, bytes: 0, segments: 0, versions: 1, createdAt: 0 }] }, /datasets\[0\]\.version' must be at least 1/],
    [{ type: 'datasets-response', id: 1, datasets: [{ name: 'a', version: 1, cid: 'nope', partitions: 1, rows: 0, bytes: 0, segments: 0, versions: 1, createdAt: 0 }] }, /datasets\[0\]\.cid' must be a meshflow block CID/],
    [{ type: 'dataset-show-response', id: 1, dataset: { ...detail, partitions: detail.partitions.slice(0, 1) } }, /dataset\.partitions' must list 2 partitions/],
    [{ type: 'dataset-show-response', id: 1, dataset: { ...detail, version: 3 } }, /dataset\.versions' must end with the latest version 3/],
    [{ type: 'dataset-show-response', id: 1, dataset: { ...detail, partitioning: { kind: 'hash', column: 'x', partitions: 2 } } }, /partitioning\.column' must be a column of the schema/],
    [{ type: 'dataset-show-response', id: 1, dataset: { ...detail, schema: { columns: [{ name: 'store', type: 'float' }] } } }, /schema\.columns\[0\]\.type' must be one of/],
    [{ type: 'dataset-show-response', id: 1, dataset: { ...detail, partitions: [detail.partitions[1], detail.partitions[0]] } }, /partitions\[0\]\.partition' must be 0/]
  ]
  for (const [m, message] of bad) rejects(() => decodeClientMessage(encodeCbor(m)), 'MalformedMessageError', message)
})

test('mutated dataset messages decode or are refused, never crash', () => {
  const good = encodeClientMessage({ type: 'dataset-show-response', id: 2, dataset: detail })
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(good.byteLength - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), flips => {
    const bytes = good.slice()
    for (const [i, b] of flips) bytes[i] = b
    try { decodeClientMessage(bytes) } catch (err) { assert.is((err as Error).name, 'MalformedMessageError') }
  }), { numRuns: 2000, seed: 3 })
})

test.run()
