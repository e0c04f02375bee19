// BlockStorage, the storage component of a peer, on two real libp2p hosts over loopback TCP.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createMeshHost, type MeshLibp2p } from '../../../node/mesh/mesh-host.ts'
import { BlockStorage } from '../../../node/storage/block-storage.ts'
import { BLOCKS_CODEC } from '../../../node/storage/block-messages.ts'
import { PeerStore } from '../../../node/storage/peer-store.ts'
import { BlockStore } from '../../../node/storage/block-store.ts'
import { parseCid } from '../../../protocol/cid.ts'

const test = suite('BlockStorage')

interface Node { readonly host: MeshLibp2p, readonly store: PeerStore, readonly storage: BlockStorage }

let root = ''
let nodes: Node[] = []
test.before.each(() => { root = mkdtempSync(join(tmpdir(), 'meshflow-block-storage-')) })
test.after.each(async () => {
  for (const n of nodes) {
    await n.storage.stop()
    await n.host.stop()
    await n.store.close()
  }
  nodes = []
  rmSync(root, { recursive: true, force: true })
})

async function node (): Promise<Node> {
  const store = await PeerStore.open(join(root, `n${nodes.length}`))
  const host = await createMeshHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
  const members = (): string[] => nodes.map(n => n.host.peerId.toString())
  const storage = new BlockStorage({ selfId: host.peerId.toString(), host, store, members, roots: () => [], references: () => [] })
  const n = { host, store, storage }
  nodes.push(n)
  return n
}

test('stores a block on its replica peers and fetches it from another peer', async () => {
  const a = await node()
  const b = await node()
  await a.storage.start()
  await b.storage.start()
  await a.host.dial(b.host.getMultiaddrs()[0]!)
  const bytes = new TextEncoder().encode('a block of state')
  const cid = await a.storage.storeBlock(bytes)
  assert.equal(await b.storage.fetchBlock(cid), bytes)
  const large = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251)
  const root = await a.storage.putLarge(large)
  assert.equal(await b.storage.fetchLarge(root.toString(), { from: [a.host.peerId.toString()] }), large)
})

test('replicateLarge puts a large value held by one peer only (job code a client stored there) on every holder', async () => {
  const [a, b, c] = [await node(), await node(), await node()]
  for (const n of nodes) await n.storage.start()
  await a.host.dial(b.host.getMultiaddrs()[0]!)
  await a.host.dial(c.host.getMultiaddrs()[0]!)
  await b.host.dial(c.host.getMultiaddrs()[0]!)
  // on `a` alone, as a client's puts over the block protocol leave it: 3 chunks and a manifest
  const large = new Uint8Array(2_500_000).map((_, i) => i % 241)
  const root = (await a!.storage.blocks.putLarge(large)).toString()
  const held = async (n: Node): Promise<number> => {
    let count = 0
    for await (const _ of n.storage.blocks.cids()) count++
    return count
  }
  assert.is(await held(b!), 0)
  // `c` (the JobManager) lacks it too, and is told where it is
  await c!.storage.replicateLarge(root, { from: [a!.host.peerId.toString()] })
  for (const n of nodes) {
    assert.is(await held(n), 4, 'the manifest and the three chunks on every peer (R = 3 of 3)')
    assert.equal(await n.storage.blocks.getLarge(parseCid(root)), large)
  }
  // a second time finds every copy in place
  await c!.storage.replicateLarge(root, { from: [] })
})

test('replicateLarge of a value no peer holds fails naming its manifest', async () => {
  const a = await node()
  const b = await node()
  for (const n of nodes) await n.storage.start()
  await a.host.dial(b.host.getMultiaddrs()[0]!)
  // stored in a store of no peer of the mesh
  const elsewhere = await PeerStore.open(join(root, 'elsewhere'))
  const missing = (await new BlockStore({ store: elsewhere }).putLarge(new Uint8Array(10))).toString()
  await elsewhere.close()
  try {
    await a.storage.replicateLarge(missing, { from: [b.host.peerId.toString()] })
    assert.unreachable('it should have failed')
  } catch (err) {
    assert.is((err as Error).name, 'BlockNotFoundError')
    assert.match((err as Error).message, missing)
  }
})

test('start() and stop() are safe twice, and stop() withdraws the block protocol', async () => {
  const a = await node()
  await a.storage.start()
  await a.storage.start()
  assert.ok(a.host.getProtocols().includes(BLOCKS_CODEC.protocol))
  await a.storage.stop()
  await a.storage.stop()
  assert.not.ok(a.host.getProtocols().includes(BLOCKS_CODEC.protocol))
})

test.run()
