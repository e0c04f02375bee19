/**
 * MembershipService over real libp2p hosts, with the clock injected: heartbeats go out and
 * silence expires only when the test moves the clock, so a busy machine (a stalled event
 * loop) can neither lose a peer nor keep one alive by accident.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createMeshHost, type MeshLibp2p } from '../../../node/mesh/mesh-host.ts'
import { MembershipService, type SelfInfo } from '../../../node/mesh/membership-service.ts'

const membership = suite('MembershipService')

const HEARTBEAT_MS = 100
const TIMEOUT_MS = 400

/** A clock the test moves by hand; `reads` counts the service's reads since the last move. */
class ManualClock {
  t = 1_000_000
  reads = 0
  readonly now = (): number => { this.reads++; return this.t }
  set (t: number): void { this.t = t; this.reads = 0 }
}

/**
 * Moves `clock` on by `ms` in on-time steps of one heartbeat interval, each read by a tick
 * (a longer jump would look like a stall of the service's own loop, whose silence is not
 * counted). Only for a service that gets no messages meanwhile: then its ticks are all
 * that read the clock.
 */
async function advance (clock: ManualClock, ms: number): Promise<void> {
  for (let moved = 0; moved < ms;) {
    const step = Math.min(HEARTBEAT_MS, ms - moved)
    clock.set(clock.t + step)
    moved += step
    await waitFor('a tick at the new time', () => clock.reads > 0)
  }
}

interface Member { host: MeshLibp2p, service: MembershipService, clock: ManualClock, self: { term: number | undefined } }

async function member (labels: Record<string, string> = {}): Promise<Member> {
  const host = await createMeshHost({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, privateKey: await generateKeyPair('Ed25519') })
  const clock = new ManualClock()
  const state: { term: number | undefined } = { term: undefined }
  const self = (): SelfInfo => ({
    addrs: host.getMultiaddrs().map(String), labels, slots: 2, freeSlots: 2, version: 'test', startedAt: 1, role: 'follower', term: state.term, leaderId: undefined
  })
  const service = new MembershipService(host, { self, heartbeatIntervalMs: HEARTBEAT_MS, failureTimeoutMs: TIMEOUT_MS, now: clock.now })
  await service.start()
  clock.set(clock.t) // from here on, reads are the service's ticks and messages
  return { host, service, clock, self: state }
}

async function waitFor (what: string, cond: () => boolean, ms = 20_000): Promise<void> {
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
    // heartbeats keep b alive well past the timeout: each step b's heartbeat carries a new
    // term, and a has heard it before the clock moves on
    for (let step = 1; step <= 2 * TIMEOUT_MS / HEARTBEAT_MS; step++) {
      b.self.term = step
      a.clock.set(a.clock.t + HEARTBEAT_MS)
      b.clock.set(b.clock.t + HEARTBEAT_MS)
      await waitFor(`b's heartbeat of step ${step}`, () => a.service.member(bId)?.term === step)
    }
    assert.ok(a.service.alive.includes(bId), 'b stays alive while it sends heartbeats')
    // freeze b without a goodbye: stop its host abruptly
    const lastHeard = a.clock.t
    await b.host.stop()
    await advance(a.clock, TIMEOUT_MS)
    assert.is(a.service.member(bId)!.state, 'alive', 'not lost at the timeout itself')
    let lostAt = 0
    a.service.on('peer:lost', m => { if (m.id === bId) lostAt = m.lostAt ?? -1 })
    a.clock.set(lastHeard + TIMEOUT_MS + 1)
    await waitFor('b to be lost', () => lostAt !== 0)
    assert.is(a.service.member(bId)!.state, 'lost')
    assert.is(lostAt, lastHeard + TIMEOUT_MS + 1)
    assert.not.ok(a.service.alive.includes(bId))
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
    await waitFor('goodbye', () => left)
    assert.is(a.service.member(bId), undefined)
  } finally {
    await a.service.stop(); await a.host.stop(); await b.host.stop()
  }
})

membership('a peer says goodbye also to a peer it declared lost (as after a stall of its own loop)', async () => {
  const a = await member()
  // a's first tick has sent its one heartbeat of this clock reading before b exists, so
  // with its clock standing a sends nothing after its hello
  await waitFor('a\'s first tick', () => a.clock.reads > 0)
  const b = await member()
  try {
    await b.host.dial(a.host.getMultiaddrs()[0]!)
    const aId = a.host.peerId.toString()
    const bId = b.host.peerId.toString()
    await waitFor('a to know b', () => a.service.alive.includes(bId))
    await waitFor('b to know a', () => b.service.alive.includes(aId))
    // only b's clock moves past the timeout: b declares a lost; a's clock stands, so a sends
    // no heartbeat that would bring it back
    let lost = false
    b.service.on('peer:lost', m => { if (m.id === aId) lost = true })
    await advance(b.clock, TIMEOUT_MS + HEARTBEAT_MS)
    await waitFor('b to declare a lost', () => lost)
    assert.is(b.service.member(aId)?.state, 'lost', 'b still thinks a lost when it stops')
    let left = false
    a.service.on('peer:left', m => { if (m.id === bId) left = true })
    await b.service.stop('test')
    await waitFor('goodbye', () => left)
    assert.is(a.service.member(bId), undefined)
  } finally {
    await a.service.stop(); await a.host.stop(); await b.host.stop()
  }
})

membership('a stall of its own loop longer than the failure timeout does not make a peer declare the others lost', async () => {
  const a = await member()
  // a's first tick is over before b exists: with its clock standing, a sends nothing after its
  // hello until the test moves its clock, and b's clock is read only by b's ticks
  await waitFor('a\'s first tick', () => a.clock.reads > 0)
  const b = await member()
  try {
    await b.host.dial(a.host.getMultiaddrs()[0]!)
    const aId = a.host.peerId.toString()
    await waitFor('b to know a', () => b.service.alive.includes(aId))
    const lost: string[] = []
    b.service.on('peer:lost', m => { lost.push(m.id) })
    // b's loop stood still for ten failure timeouts: its next tick comes that late
    b.clock.set(b.clock.t + 10 * TIMEOUT_MS)
    await waitFor('b\'s tick after the stall', () => b.clock.reads > 0)
    // then a's heartbeat, queued behind the stall, arrives
    a.self.term = 7
    a.clock.set(a.clock.t + HEARTBEAT_MS)
    await waitFor('a\'s heartbeat at b', () => b.service.member(aId)?.term === 7)
    assert.equal(lost, [], 'a was never declared lost')
    assert.is(b.service.member(aId)!.state, 'alive')
  } finally {
    await a.service.stop(); await b.service.stop(); await a.host.stop(); await b.host.stop()
  }
})

membership.run()
