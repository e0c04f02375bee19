import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Peer, PeerInit } from '../../../node/cluster/peer.ts'
import { MeshClient } from '../../../node/cluster/mesh-client.ts'
import { startPeer, startPeers, waitFor } from './fixtures/peers.ts'

const peerSuite = suite('Peer')
let root = ''
peerSuite.before.each(() => { root = mkdtempSync(join(tmpdir(), 'meshflow-peer-')) })
peerSuite.after.each(() => { rmSync(root, { recursive: true, force: true }) })



const mesh = async (n: number, extra: Partial<PeerInit> = {}): Promise<Peer[]> => await startPeers(root, n, extra)

const leaders = (peers: Peer[]): Peer[] => peers.filter(p => p.role === 'leader')

peerSuite('three peers elect one leader, make every peer a voter and agree on it', async () => {
  const peers = await mesh(3)
  try {
    // every peer's own role, and peer 1's view of the membership (it learns of the third voter a moment later)
    await waitFor('three voters and one leader', () => leaders(peers).length === 1 && peers.every(p => p.role === 'leader' || p.role === 'follower') &&
      peers.every(p => p.leaderId === leaders(peers)[0]?.id) &&
      peers[1]!.status().peers.map(p => p.role).sort().join() === 'follower,follower,leader')
    const status = peers[1]!.status()
    assert.is(status.leader, leaders(peers)[0]!.id)
    assert.is(status.peers.length, 3)
    assert.equal(status.peers.map(p => p.role).sort(), ['follower', 'follower', 'leader'])
  } finally {
    for (const p of peers) await p.stop()
  }
})

peerSuite('a marker written at a follower commits on every peer; a mesh client sees the status', async () => {
  const peers = await mesh(3)
  try {
    await waitFor('a leader', () => leaders(peers).length === 1 && peers.every(p => p.leaderId !== undefined))
    const committed = new Map<string, unknown[]>()
    for (const p of peers) p.on('committed', e => { if (e.type === 'command') committed.set(p.id, [...committed.get(p.id) ?? [], e.command]) })
    const follower = peers.find(p => p.role !== 'leader')!
    const pos = await follower.mark('hello mesh')
    assert.ok(pos.index > 1)
    await waitFor('the command on every peer', () => peers.every(p => (committed.get(p.id) ?? []).length === 1))
    const client = await MeshClient.connect({ mesh: follower.multiaddrs[0]!.replace(/\/p2p\/.*/, '') })
    try {
      const status = await client.status()
      assert.is(status.leader, leaders(peers)[0]!.id)
      assert.is(status.peers.length, 3)
      const viaClient = await client.mark('from a client')
      assert.ok(viaClient.index > pos.index)
    } finally {
      await client.close()
    }
  } finally {
    for (const p of peers) await p.stop()
  }
})

peerSuite('a stopping leader hands over: another peer leads in the next term', async () => {
  const peers = await mesh(3)
  try {
    await waitFor('three voters and a leader', () => leaders(peers).length === 1 && peers.every(p => p.role === 'leader' || p.role === 'follower'))
    const old = leaders(peers)[0]!
    const term = old.term
    await old.stop()
    const rest = peers.filter(p => p !== old)
    await waitFor('a new leader', () => leaders(rest).length === 1, 30_000)
    assert.ok(leaders(rest)[0]!.term > term, 'the new leader leads a newer term')
  } finally {
    for (const p of peers) await p.stop()
  }
})

peerSuite('peers past the voter count follow as learners', async () => {
  const peers = await mesh(4, { maxVoters: 3 })
  try {
    await waitFor('3 voters and a learner', () => leaders(peers).length === 1 &&
      peers.filter(p => p.role === 'follower').length === 2 && peers.filter(p => p.role === 'learner').length === 1, 10_000)
  } finally {
    for (const p of peers) await p.stop()
  }
})

peerSuite('a restarted peer keeps its identity and rejoins with its log', async () => {
  const peers = await mesh(3)
  try {
    await waitFor('three voters and a leader', () => leaders(peers).length === 1 && peers.every(p => p.role === 'leader' || p.role === 'follower'))
    await leaders(peers)[0]!.mark('n 1')
    const follower = peers.find(p => p.role === 'follower')!
    const id = follower.id
    const index = follower.commitIndex
    await follower.stop()
    const again = await startPeer(root, `p${peers.indexOf(follower)}`, peers.find(p => p !== follower)!)
    peers[peers.indexOf(follower)] = again
    assert.is(again.id, id)
    await waitFor('the restarted peer to follow again', () => again.role === 'follower' && again.leaderId !== undefined && again.commitIndex >= index)
  } finally {
    for (const p of peers) await p.stop()
  }
})

peerSuite.run()
