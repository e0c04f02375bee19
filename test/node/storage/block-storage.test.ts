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
