import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createMeshHost, type MeshLibp2p } from '../../../node/mesh/mesh-host.ts'
import { MembershipService, type SelfInfo } from '../../../node/mesh/membership-service.ts'

const membership = suite('MembershipService')

interface Member { host: MeshLibp2p, service: MembershipService }

async function member (labels: Record<string, string> = {}): Promise<Member> {
  const host = await createMeshHost({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, privateKey: await generateKeyPair('Ed25519') })
  const self = (): SelfInfo => ({
    addrs: host.getMultiaddrs().map(String), labels, slots: 2, freeSlots: 2, version: 'test', startedAt: 1, role: 'follower', term: undefined, leaderId: undefined
  })
  const service = new MembershipService(host, { self, heartbeatIntervalMs: 100, failureTimeoutMs: 400 })
  await service.start()
  return { host, service }
}

async function waitFor (what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

membership('peers that connect learn each other\'s labels and slots from hello', async () => {
  const a = await member({ tier: 'edge' })
  const b = await member({ tier: 'cloud' })
  try {
    const joined: string[] = []
    a.service.on('peer:join', m => { joined.push(m.id) })
    await b.host.dial(a.host.getMultiaddrs()[0]!)
    await waitFor('a to know b', () => a.service.member(b.host.peerId.toString()) !== undefined)
    await waitFor('b to know a', () => b.service.member(a.host.peerId.toString()) !== undefined)
    assert.equal(a.service.member(b.host.peerId.toString())!.labels, { tier: 'cloud' })
    assert.equal(b.service.member(a.host.peerId.toString())!.labels, { tier: 'edge' })
    assert.is(a.service.member(b.host.peerId.toString())!.slots, 2)
    assert.equal(joined, [b.host.peerId.toString()])
  } finally {
    await a.service.stop(); await b.service.stop(); await a.host.stop(); await b.host.stop()
  }
})

membership('declares a peer lost after the failure timeout once its heartbeats stop', async () => {
  const a = await member()
  const b = await member()
  try {
    await b.host.dial(a.host.getMultiaddrs()[0]!)
    const bId = b.host.peerId.toString()
    await waitFor('a to know b', () => a.service.alive.includes(bId))
    // heartbeats keep b alive well past the timeout
    await new Promise(resolve => setTimeout(resolve, 800))
    assert.ok(a.service.alive.includes(bId), 'b stays alive while it sends heartbeats')
    let lostAt = 0
    a.service.on('peer:lost', m => { if (m.id === bId) lostAt = Date.now() })
    // freeze b without a goodbye: stop its heartbeat timer by stopping the host abruptly
    const stoppedAt = Date.now()
    await b.host.stop()
    await waitFor('b to be lost', () => lostAt > 0, 3000)
    assert.is(a.service.member(bId)!.state, 'lost')
    assert.ok(lostAt - stoppedAt >= 300, `lost after ${lostAt - stoppedAt} ms, not before the timeout`)
  } finally {
    await a.service.stop(); await b.service.stop(); await a.host.stop()
  }
})

membership('a peer that stops says goodbye and is removed at once', async () => {
  const a = await member()
  const b = await member()
  try {
    await b.host.dial(a.host.getMultiaddrs()[0]!)
    const bId = b.host.peerId.toString()
    await waitFor('a to know b', () => a.service.alive.includes(bId))
    let left = false
    a.service.on('peer:left', m => { if (m.id === bId) left = true })
    await b.service.stop('test')
    await waitFor('goodbye', () => left, 3000)
    assert.is(a.service.member(bId), undefined)
  } finally {
    await a.service.stop(); await a.host.stop(); await b.host.stop()
  }
})

membership.run()
