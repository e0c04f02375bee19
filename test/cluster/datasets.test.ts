// The dataset catalog across `meshflow node` processes (issue 12): segment blocks and
// manifests put into a 3-peer mesh are committed as versions through a client of a
// follower and listed by every peer; a stale expected version and a changed column are
// refused naming them; show names each partition's holders; after the leader is killed the
// new leader has the catalog and commits the next version; a drop lets every peer's
// garbage collector take the dataset's blocks while another dataset's stay.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { LocalMesh, bounded } from './local-mesh.ts'
import { waitFor, type NodeProcess } from './node-process.ts'
import { MeshClient } from '../../node/cluster/mesh-client.ts'
import { createMeshHost, parseMultiaddr } from '../../node/mesh/mesh-host.ts'
import { BlockClient } from '../../node/storage/block-client.ts'
import { parseCid } from '../../protocol/cid.ts'
import { encodeDatasetManifest } from '../../node/storage/datasets/dataset-manifest.ts'
import type { DatasetManifest, SegmentRef } from '../../node/storage/datasets/dataset-types.ts'

// every peer collects garbage twice a second, with no grace beyond the store's re-stamp age
// (60 s): a block put more than a minute before a collection and reachable from nothing goes
process.env.MESHFLOW_GC_INTERVAL_MS = '500'
process.env.MESHFLOW_GC_GRACE_MS = '0'

const test = suite('datasets (processes)')
const SCHEMA = { columns: [{ name: 'store', type: 'string' as const }, { name: 'amount', type: 'number' as const }] }

async function refused (promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise
  } catch (err) {
    assert.match((err as Error).message, pattern, (err as Error).message)
    return
  }
  assert.unreachable(`accepted, expected ${String(pattern)}`)
}

test('commit through a follower, listed everywhere, refusals, failover keeps the catalog, drop then GC', async () => {
  await bounded('datasets across processes', 300_000, async () => {
    const mesh = await LocalMesh.start(3)
    const host = await createMeshHost({ listen: [], mdns: false, privateKey: await generateKeyPair('Ed25519') })
    const blocks = new BlockClient({ host })
    const clients: MeshClient[] = []
    const connect = async (node: NodeProcess): Promise<MeshClient> => {
      const c = await MeshClient.connect({ mesh: node.address, signal: AbortSignal.timeout(10_000) })
      clients.push(c)
      return c
    }
    try {
      const leader = await mesh.agreedLeader(30_000, 3)
      const follower = mesh.nodes.find(n => n !== leader)!
      for (const node of mesh.nodes) await host.dial(parseMultiaddr(node.address), { signal: AbortSignal.timeout(10_000) })
      const put = async (bytes: Uint8Array): Promise<string> => (await blocks.put(peerIdFromString(follower.id), bytes, { signal: AbortSignal.timeout(10_000) })).toString()
      const segment = async (text: string): Promise<SegmentRef> => {
        const bytes = new TextEncoder().encode(text)
        return { cid: await put(bytes), rows: 1, bytes: bytes.byteLength, stats: { store: { min: text, max: text, nulls: 0 } } }
      }
      const manifest = async (over: Partial<DatasetManifest>): Promise<string> => await put(encodeDatasetManifest({
        type: 'meshflow-dataset', name: 'sales', version: 1, schema: SCHEMA, partitioning: { kind: 'hash', column: 'store', partitions: 2 },
        partitions: [[], []], createdAt: 1, ...over
      }))
      const client = await connect(follower)

      const a = await segment('store a')
      const b = await segment('store b')
      const v1 = await manifest({ partitions: [[a], [b]] })
      assert.equal(await client.commitDataset('sales', { manifestCid: v1, expectedVersion: 0 }), { name: 'sales', version: 1, cid: v1 })
      const c = await segment('store c')
      const v2 = await manifest({ version: 2, partitions: [[a, c], [b]], createdAt: 2 })
      assert.is((await client.commitDataset('sales', { manifestCid: v2, expectedVersion: 1 })).version, 2)
      const other = await segment('other dataset')
      const o1 = await put(encodeDatasetManifest({ type: 'meshflow-dataset', name: 'stores', version: 1, schema: SCHEMA, partitioning: { kind: 'round-robin', partitions: 1 }, partitions: [[other]], createdAt: 3 }))
      await client.commitDataset('stores', { manifestCid: o1 })

      const expected = [
        { name: 'sales', version: 2, cid: v2, partitions: 2, rows: 3, bytes: a.bytes + b.bytes + c.bytes, segments: 3, versions: 2, createdAt: 2 },
        { name: 'stores', version: 1, cid: o1, partitions: 1, rows: 1, bytes: other.bytes, segments: 1, versions: 1, createdAt: 3 }
      ]
      for (const node of mesh.nodes) {
        const c2 = await connect(node)
        await waitFor(`the datasets on ${node.name}`, async () => JSON.stringify(await c2.datasets()) === JSON.stringify(expected), 20_000)
      }

      // a writer that read version 1 loses to the commit of version 2; a changed column is named
      const d = await segment('store d')
      await refused(client.commitDataset('sales', { manifestCid: await manifest({ version: 2, partitions: [[a, d], [b]] }), expectedVersion: 1 }), /Dataset 'sales' is at version 2, not 1 as the writer read it/)
      await refused(client.commitDataset('sales', { manifestCid: await manifest({ version: 3, schema: { columns: [SCHEMA.columns[0]!, { name: 'amount', type: 'string' }] }, partitions: [[a, c], [b]] }) }),
        /Column 'amount' is number in dataset 'sales' but string in the new version/)
      await refused(client.showDataset('nope'), /No dataset is named 'nope'/)

      const shown = await client.showDataset('sales')
      assert.equal(shown.schema, SCHEMA)
      assert.equal(shown.versions.map(v => v.cid), [v1, v2])
      assert.equal(shown.partitions.map(p => [p.segments, p.rows]), [[2, 2], [1, 1]])
      for (const p of shown.partitions) {
        assert.ok(p.holders.length >= 1, `partition ${p.partition} has holders`)
        assert.ok(p.holders.every(h => mesh.nodes.some(n => n.id === h.peer)), 'holders are peers of the mesh')
      }
      assert.ok(shown.partitions[0]!.holders.some(h => h.peer === follower.id && h.segments === 2), 'the peer the segments were put on holds them')

      // the leader dies: the new leader has the catalog and commits the next version
      leader.kill('SIGKILL')
      await leader.exited
      const next = await mesh.agreedLeader(30_000)
      assert.is.not(next.id, leader.id)
      const onLeader = await connect(next)
      assert.equal(await onLeader.datasets(), expected)
      const v3 = await manifest({ version: 3, partitions: [[a, c, d], [b]], createdAt: 4 })
      assert.is((await onLeader.commitDataset('sales', { manifestCid: v3, expectedVersion: 2 })).version, 3)
      await waitFor('version 3 on the follower', async () => (await client.datasets())[0]?.version === 3, 20_000)

      // a drop: every peer's collector takes the dataset's blocks (once they are a minute old)
      for (const cid of [v1, v2, v3, a.cid, b.cid, c.cid, d.cid]) {
        const [present] = await blocks.has(peerIdFromString(follower.id), [parseCid(cid)], { signal: AbortSignal.timeout(10_000) })
        assert.ok(present, `${cid} is held before the drop`)
      }
      await client.dropDataset('sales')
      await refused(client.dropDataset('sales'), /No dataset is named 'sales'/)
      assert.equal((await onLeader.datasets()).map(x => x.name), ['stores'])
      const dropped = [v1, v2, v3, a.cid, b.cid, c.cid, d.cid].map(x => parseCid(x))
      for (const node of mesh.live) {
        await waitFor(`the dropped dataset's blocks collected on ${node.name}`, async () => {
          const present = await blocks.has(peerIdFromString(node.id), dropped, { signal: AbortSignal.timeout(10_000) })
          return present.every(p => !p)
        }, 150_000)
      }
      const kept = await blocks.has(peerIdFromString(follower.id), [parseCid(o1), parseCid(other.cid)], { signal: AbortSignal.timeout(10_000) })
      assert.equal(kept, [true, true], "the other dataset's manifest and segment stay")
    } finally {
      for (const c of clients) await c.close().catch(() => {})
      await blocks.stop()
      await host.stop()
      await mesh.close()
    }
  })
})

test.run()
