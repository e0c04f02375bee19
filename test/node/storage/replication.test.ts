import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { cidOf, type BlockCid } from '../../../protocol/cid.ts'
import { createMeshHost, type MeshLibp2p } from '../../../node/mesh/mesh-host.ts'
import { BlockClient } from '../../../node/storage/block-client.ts'
import { BlockService } from '../../../node/storage/block-service.ts'
import { BlockStore } from '../../../node/storage/block-store.ts'
import { PeerStore } from '../../../node/storage/peer-store.ts'
import { rendezvousHolders, rendezvousOrder } from '../../../node/storage/rendezvous.ts'
import { BlockReplicator, ReplicationError } from '../../../node/storage/replication.ts'

const rendezvous = suite('rendezvousHolders')

const memberArb = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 12 })
const cidArb = fc.string({ minLength: 1, maxLength: 40 })

rendezvous('rendezvousHolders picks r distinct members, the same whatever the members\' order', () => {
  fc.assert(fc.property(cidArb, memberArb, fc.integer({ min: 0, max: 14 }), (cid, members, r) => {
    const holders = rendezvousHolders(cid, members, r)
    assert.is(holders.length, Math.min(r, members.length))
    assert.is(new Set(holders).size, holders.length)
    for (const h of holders) assert.ok(members.includes(h))
    assert.equal(rendezvousHolders(cid, [...members].reverse(), r), holders)
    assert.equal(rendezvousHolders(cid, members, r), holders)
  }))
})

rendezvous('rendezvousHolders does not change when a member that is not a holder leaves', () => {
  fc.assert(fc.property(cidArb, memberArb, fc.integer({ min: 1, max: 5 }), fc.nat(), (cid, members, r, pick) => {
    const holders = rendezvousHolders(cid, members, r)
    const others = members.filter(m => !holders.includes(m))
    fc.pre(others.length > 0)
    const gone = others[pick % others.length]!
    assert.equal(rendezvousHolders(cid, members.filter(m => m !== gone), r), holders)
  }))
})

rendezvous('rendezvousHolders replaces only the slot of a holder that leaves', () => {
  fc.assert(fc.property(cidArb, memberArb, fc.integer({ min: 1, max: 5 }), fc.nat(), (cid, members, r, pick) => {
    const holders = rendezvousHolders(cid, members, r)
    const gone = holders[pick % holders.length]!
    const after = rendezvousHolders(cid, members.filter(m => m !== gone), r)
    const kept = holders.filter(h => h !== gone)
    assert.equal(after.filter(h => kept.includes(h)), kept)
    const added = after.filter(h => !kept.includes(h))
    assert.is(added.length, Math.min(r, members.length - 1) - kept.length)
    // the newcomer is the member right after the old holders in the CID's order
    if (added.length === 1) assert.is(added[0], rendezvousOrder(cid, members)[holders.length])
  }))
})

rendezvous('rendezvousHolders spreads 1000 CIDs roughly evenly', () => {
  const members = Array.from({ length: 5 }, (_, i) => `12D3KooWpeer${i}`)
  const counts = new Map<string, number>(members.map(m => [m, 0]))
  for (let i = 0; i < 1000; i++) {
    const cid = cidOf(new TextEncoder().encode(`block ${i}`)).toString()
    for (const h of rendezvousHolders(cid, members, 3)) counts.set(h, counts.get(h)! + 1)
  }
  // each member expects 600 of the 3000 slots; binomial sd ≈ 15.5, so ±100 is over 6 sd
  for (const [m, n] of counts) assert.ok(n > 500 && n < 700, `${m} holds ${n}`)
})

rendezvous.run()

const replication = suite('BlockReplicator')

interface Node {
  readonly id: string
  readonly host: MeshLibp2p
  readonly store: PeerStore
  readonly blocks: BlockStore
  readonly service: BlockService
  readonly client: BlockClient
}

let root = ''
let nodes: Node[] = []
replication.before.each(() => { root = mkdtempSync(join(tmpdir(), 'meshflow-replication-')) })
replication.after.each(async () => {
  for (const n of nodes) {
    await n.client.stop()
    await n.service.stop()
    await n.host.stop()
    await n.store.close()
  }
  nodes = []
  rmSync(root, { recursive: true, force: true })
})

/** `count` hosts, each with a block store and service, all connected to each other. */
async function mesh (count: number): Promise<Node[]> {
  for (let i = 0; i < count; i++) {
    const store = await PeerStore.open(join(root, `n${i}`))
    const blocks = new BlockStore({ store })
    const host = await createMeshHost({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, privateKey: await generateKeyPair('Ed25519') })
    const service = new BlockService({ host, blocks })
    await service.start()
    nodes.push({ id: host.peerId.toString(), host, store, blocks, service, client: new BlockClient({ host }) })
  }
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) await nodes[i]!.host.dial(nodes[j]!.host.getMultiaddrs()[0]!)
  }
  return nodes
}

function replicator (n: Node, members: () => readonly string[], replicas?: number): BlockReplicator {
  return new BlockReplicator({ selfId: n.id, blocks: n.blocks, client: n.client, members }, {
    requestTimeoutMs: 3000,
    ...(replicas === undefined ? {} : { replicas })
  })
}

/** The ids of the nodes holding `cid`, in the nodes' order. */
async function holding (cid: BlockCid, among: readonly Node[] = nodes): Promise<string[]> {
  const out: string[] = []
  for (const n of among) if (await n.blocks.has(cid)) out.push(n.id)
  return out
}

const sorted = (ids: readonly string[]): string[] => [...ids].sort()

async function rejects (p: Promise<unknown>, name: string): Promise<Error> {
  try {
    await p
  } catch (err) {
    assert.is((err as Error).name, name, (err as Error).message)
    return err as Error
  }
  throw new assert.Assertion({ message: `expected a ${name}`, operator: 'rejects', generated: true, expects: name, actual: 'resolved' })
}

replication('BlockReplicator.put stores a block on exactly its R rendezvous holders', async () => {
  const all = await mesh(4)
  const ids = all.map(n => n.id)
  const r = replicator(all[0]!, () => ids)
  for (let i = 0; i < 12; i++) {
    const cid = await r.put(randomBytes(1000 + i))
    const expected = rendezvousHolders(cid.toString(), ids, 3)
    assert.equal(sorted(await holding(cid)), sorted(expected), `block ${i}`)
  }
})

replication('BlockReplicator.put with three members defaults to three copies', async () => {
  const all = await mesh(3)
  const ids = all.map(n => n.id)
  const r = replicator(all[1]!, () => ids)
  const cid = await r.put(randomBytes(5000))
  assert.equal(sorted(await holding(cid)), sorted(ids))
})

replication('BlockReplicator.put reaches R copies on the next members when a holder fails', async () => {
  const all = await mesh(4)
  const ids = all.map(n => n.id)
  const writer = all[0]!
  const r = replicator(writer, () => ids)
  // a block one of whose holders is another peer: stop that peer's block service
  let bytes = randomBytes(2000)
  while (rendezvousHolders(cidOf(bytes).toString(), ids, 3).every(h => h === writer.id)) bytes = randomBytes(2000)
  const shown = cidOf(bytes).toString()
  const down = rendezvousHolders(shown, ids, 3).find(h => h !== writer.id)!
  await all.find(n => n.id === down)!.service.stop()
  const cid = await r.put(bytes)
  assert.equal(sorted(await holding(cid)), sorted(rendezvousOrder(shown, ids).filter(id => id !== down)))
})

replication('BlockReplicator.put rejects with a ReplicationError naming the CID when too few peers are live', async () => {
  const all = await mesh(3)
  const ids = all.map(n => n.id)
  await all[2]!.service.stop()
  const r = replicator(all[0]!, () => ids, 3)
  const bytes = randomBytes(3000)
  const err = await rejects(r.put(bytes), 'ReplicationError') as ReplicationError
  const shown = cidOf(bytes).toString()
  assert.is(err.cid, shown)
  assert.ok(err.message.includes(shown), err.message)
  assert.is(err.copies, 2)
  assert.is(err.required, 3)
  assert.equal(err.failures.map(f => f.peer), [all[2]!.id])
  assert.ok(err.message.includes(all[2]!.id), err.message)
  // the two live peers hold it all the same
  assert.equal(sorted(await holding(cidOf(bytes))), sorted([all[0]!.id, all[1]!.id]))
})

replication('BlockReplicator.repair copies blocks to their new holders after a holder leaves', async () => {
  const all = await mesh(4)
  let members = all.map(n => n.id)
  const repairer = all[0]!
  const r = replicator(repairer, () => members, 2)
  const cids: BlockCid[] = []
  for (let i = 0; i < 24; i++) cids.push(await r.put(randomBytes(500 + i)))
  const gone = all[3]!
  const affected = cids.filter(c => rendezvousHolders(c.toString(), members, 2).includes(gone.id)).length
  assert.ok(affected > 0)
  await gone.service.stop()
  members = members.filter(id => id !== gone.id)
  const left = all.slice(0, 3)

  const summary = await r.repair(cids)
  assert.equal({ checked: summary.checked, copied: summary.copied, failed: summary.failed }, { checked: 24, copied: affected, failed: 0 })
  for (const cid of cids) {
    assert.equal(sorted(await holding(cid, left)), sorted(rendezvousHolders(cid.toString(), members, 2)), cid.toString())
  }
  // nothing left to do
  const again = await r.repair(repairer.blocks.cids())
  assert.is(again.copied, 0)
  assert.is(again.failed, 0)
})

replication('BlockReplicator.repair reports a block no member holds', async () => {
  const all = await mesh(3)
  const ids = all.map(n => n.id)
  const r = replicator(all[0]!, () => ids)
  const missing = cidOf(randomBytes(100))
  const summary = await r.repair([missing])
  assert.is(summary.checked, 1)
  assert.is(summary.failed, 1)
  assert.is(summary.errors[0]!.name, 'ReplicationError')
  assert.is(summary.errors[0]!.cid, missing.toString())
})

replication('BlockReplicator.put and repair reject with the signal\'s reason when it aborts', async () => {
  const all = await mesh(3)
  const ids = all.map(n => n.id)
  const r = replicator(all[0]!, () => ids)
  const controller = new AbortController()
  controller.abort(new Error('Gave up'))
  for (const p of [r.put(randomBytes(10), { signal: controller.signal }), r.repair([cidOf(randomBytes(10))], { signal: controller.signal })]) {
    try {
      await p
      assert.unreachable('should have rejected')
    } catch (err) {
      assert.is((err as Error).message, 'Gave up')
    }
  }
})

replication.run()
