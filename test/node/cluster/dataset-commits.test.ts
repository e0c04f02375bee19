// Dataset commits through the JobManager on in-process peers: versions committed from a
// follower are listed on every peer; a stale expected version, a changed column, another
// partitioning for an append, a manifest of another dataset and a segment the mesh lacks
// are refused naming what is wrong; show names each partition's holders; a drop lets the
// garbage collector take the segments while a live dataset's stay.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Peer, PeerInit } from '../../../node/cluster/peer.ts'
import { agreed, startPeers, waitFor } from './fixtures/peers.ts'
import { cidOf, parseCid } from '../../../protocol/cid.ts'
import { encodeDatasetManifest } from '../../../node/storage/datasets/dataset-manifest.ts'
import type { DatasetManifest, SegmentRef } from '../../../node/storage/datasets/dataset-types.ts'
import { schemaProblem } from '../../../node/cluster/dataset-commits.ts'

const test = suite('DatasetCommits')
const NO_GRACE: Partial<PeerInit> = { storage: { gcGraceMs: 0, restampAfterMs: 0 } }
const SCHEMA = { columns: [{ name: 'store', type: 'string' as const }, { name: 'amount', type: 'number' as const }] }

async function rejected (promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise
  } catch (err) {
    assert.match((err as Error).message, pattern, (err as Error).message)
    return
  }
  assert.unreachable(`accepted, expected ${String(pattern)}`)
}

test('schemaProblem names the column that differs', () => {
  assert.is(schemaProblem('sales', SCHEMA, SCHEMA), undefined)
  assert.is(schemaProblem('sales', SCHEMA, { columns: [SCHEMA.columns[0]!, { name: 'amount', type: 'string' }] }), "Column 'amount' is number in dataset 'sales' but string in the new version")
  assert.is(schemaProblem('sales', SCHEMA, { columns: [SCHEMA.columns[0]!] }), "Column 'amount' of dataset 'sales' is missing from the new version")
  assert.match(schemaProblem('sales', SCHEMA, { columns: [...SCHEMA.columns, { name: 'qty', type: 'int64' }] })!, /^Column 'qty' is not in dataset 'sales' \(the new version adds it\)/)
  assert.is(schemaProblem('sales', SCHEMA, { columns: [SCHEMA.columns[1]!, SCHEMA.columns[0]!] }), "Column 'store' is column 1 of dataset 'sales' but column 2 in the new version")
})

test('commits from a follower, refuses what is wrong, shows holders, and a drop lets GC collect the segments', async () => {
  const root = mkdtempSync(join(tmpdir(), 'meshflow-datasets-'))
  const peers = await startPeers(root, 3, NO_GRACE)
  try {
    await agreed(peers)
    const follower = peers.find(p => !p.isLeader)!.jobService
    const store = async (text: string): Promise<SegmentRef> => {
      const bytes = new TextEncoder().encode(text)
      return { cid: await follower.storage.storeBlock(bytes), rows: text.length, bytes: bytes.byteLength, stats: { store: { min: 'a', max: 'z', nulls: 0 } } }
    }
    const manifest = async (over: Partial<DatasetManifest>): Promise<string> => await follower.storage.storeBlock(encodeDatasetManifest({
      type: 'meshflow-dataset', name: 'sales', version: 1, schema: SCHEMA, partitioning: { kind: 'hash', column: 'store', partitions: 2 },
      partitions: [[], []], createdAt: 1, ...over
    }))
    const s1 = await store('segment one')
    const s2 = await store('segment two')
    const v1 = await manifest({ partitions: [[s1], [s2]] })
    assert.equal(await follower.commitDataset('sales', { manifestCid: v1, expectedVersion: 0 }), { name: 'sales', version: 1, cid: v1 })
    const s3 = await store('segment three')
    const v2 = await manifest({ version: 2, partitions: [[s1, s3], [s2]] })
    assert.equal((await follower.commitDataset('sales', { manifestCid: v2 })).version, 2)
    for (const p of peers) await waitFor('version 2 everywhere', () => p.jobService.registry.datasets.latest('sales')?.version === 2)
    const listed = await peers[0]!.jobService.datasets()
    assert.equal(listed, [{ name: 'sales', version: 2, cid: v2, partitions: 2, rows: s1.rows + s2.rows + s3.rows, bytes: s1.bytes + s2.bytes + s3.bytes, segments: 3, versions: 2, createdAt: 1 }])

    // refused, each naming what is wrong
    const s4 = await store('segment four')
    await rejected(follower.commitDataset('sales', { manifestCid: await manifest({ version: 3, partitions: [[s1, s3, s4], [s2]] }), expectedVersion: 1 }), /Dataset 'sales' is at version 2, not 1 as the writer read it: another commit came first/)
    await rejected(follower.commitDataset('sales', { manifestCid: await manifest({ version: 2, partitions: [[s1, s4], [s2]] }) }), /is version 2 of dataset 'sales', but the next version is 3/)
    await rejected(follower.commitDataset('sales', { manifestCid: await manifest({ version: 3, schema: { columns: [SCHEMA.columns[0]!, { name: 'amount', type: 'string' }] }, partitions: [[s1, s3], [s2]] }) }), /Column 'amount' is number in dataset 'sales' but string in the new version/)
    await rejected(follower.commitDataset('sales', { manifestCid: await manifest({ version: 3, partitioning: { kind: 'round-robin', partitions: 2 }, partitions: [[s1, s3], [s2]] }) }), /An append to dataset 'sales' must keep its partitioning \(hash on 'store' into 2 partitions\)/)
    await rejected(follower.commitDataset('sales', { manifestCid: await manifest({ version: 3, partitions: [[s3], [s2]] }) }), /must keep the segments of version 2, but partition 0 does not list segment/)
    const absent = { cid: cidOf(new TextEncoder().encode('never stored')).toString(), rows: 1, bytes: 1, stats: {} }
    await rejected(follower.commitDataset('sales', { manifestCid: await manifest({ version: 3, partitions: [[s1, s3], [s2, absent]] }) }), /Segment \S+ of partition 1 of version 3 of dataset 'sales' is not stored in the mesh/)
    await rejected(follower.commitDataset('stores', { manifestCid: v1 }), /The manifest \S+ is of dataset 'sales', not 'stores'/)
    await rejected(follower.commitDataset('9x', { manifestCid: v1 }), /Invalid dataset name: must be a dataset name/)
    await rejected(follower.commitDataset('sales', { manifestCid: s1.cid }), /is not a valid dataset manifest/)
    await rejected(follower.dropDataset('nope'), /No dataset is named 'nope'/)
    await rejected(follower.showDataset('nope'), /No dataset is named 'nope'/)
    // an overwrite may repartition; a retried commit (same commit id) answers with the version it made
    const v3 = await manifest({ version: 3, partitioning: { kind: 'round-robin', partitions: 1 }, partitions: [[s4]] })
    assert.equal((await follower.commitDataset('sales', { manifestCid: v3, expectedVersion: 2, mode: 'overwrite', commitId: 'writer-1' })).version, 3)
    const rebuilt = await manifest({ version: 4, partitioning: { kind: 'round-robin', partitions: 1 }, partitions: [[s4]], createdAt: 9 })
    assert.equal(await follower.commitDataset('sales', { manifestCid: rebuilt, mode: 'overwrite', commitId: 'writer-1' }), { name: 'sales', version: 3, cid: v3 })
    assert.is(follower.registry.datasets.latest('sales')?.version, 3)

    const shown = await peers[0]!.jobService.showDataset('sales')
    assert.equal(shown.schema, SCHEMA)
    assert.equal(shown.versions.map(v => [v.version, v.cid, v.pinned]), [[1, v1, false], [2, v2, false], [3, v3, false]])
    assert.is(shown.partitions.length, 1)
    assert.is(shown.partitions[0]!.segments, 1)
    assert.equal(new Set(shown.partitions[0]!.holders.map(h => h.peer)), new Set(peers.map(p => p.id)), 'R = 3 of 3 peers hold the segment')

    // a drop: every version's segments and manifests become garbage; another dataset's stay
    const other = await store('other dataset')
    const o1 = await follower.storage.storeBlock(encodeDatasetManifest({ type: 'meshflow-dataset', name: 'stores', version: 1, schema: SCHEMA, partitioning: { kind: 'round-robin', partitions: 1 }, partitions: [[other]], createdAt: 2 }))
    await follower.commitDataset('stores', { manifestCid: o1 })
    for (const p of peers) await p.jobService.collectGarbage()
    for (const cid of [v1, v2, v3, s1.cid, s2.cid, s3.cid, s4.cid]) assert.ok(await peers[0]!.jobService.blocks.has(parseCid(cid)), `${cid} of a retained version is kept`)
    await follower.dropDataset('sales')
    for (const p of peers) await waitFor('the drop everywhere', () => p.jobService.registry.datasets.dataset('sales') === undefined)
    for (const p of peers) await p.jobService.collectGarbage()
    for (const p of peers) {
      for (const cid of [v1, v2, v3, s1.cid, s2.cid, s3.cid, s4.cid]) assert.not.ok(await p.jobService.blocks.has(parseCid(cid)), `${cid} of the dropped dataset is collected on ${p.id}`)
      for (const cid of [o1, other.cid]) assert.ok(await p.jobService.blocks.has(parseCid(cid)), `${cid} of a live dataset is kept on ${p.id}`)
    }
  } finally {
    for (const p of peers) await p.stop()
    rmSync(root, { recursive: true, force: true })
  }
})

test.run()
