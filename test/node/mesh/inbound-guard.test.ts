import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { multiaddr } from '@multiformats/multiaddr'
import type { MultiaddrConnection, PeerId } from '@libp2p/interface'
import { InboundGuard } from '../../../node/mesh/inbound-guard.ts'

const guard = suite('InboundGuard')

/** Just what the guard reads of a connection: its remote address and its 'close' event. */
function conn (ip: string): MultiaddrConnection & { close (): void } {
  const events = new EventTarget()
  return Object.assign(events, { remoteAddr: multiaddr(`/ip4/${ip}/tcp/4000`), close: () => { events.dispatchEvent(new Event('close')) } }) as unknown as MultiaddrConnection & { close (): void }
}

const peer = {} as PeerId

guard('refuses connections from one address past its pending limit, and takes them again as they finish', async () => {
  const g = new InboundGuard({ maxPendingPerAddress: 2 })
  const [a, b, c] = [conn('10.0.0.1'), conn('10.0.0.1'), conn('10.0.0.1')]
  assert.is(await g.gater.denyInboundConnection!(a), false)
  assert.is(await g.gater.denyInboundConnection!(b), false)
  assert.is(await g.gater.denyInboundConnection!(c), true)
  assert.is(await g.gater.denyInboundConnection!(conn('10.0.0.2')), false, 'another address is not affected')
  await g.gater.denyInboundUpgradedConnection!(peer, a)
  a.close() // an upgraded connection that closes later is no failure
  assert.is(g.pendingFrom('10.0.0.1'), 1)
  assert.is(await g.gater.denyInboundConnection!(conn('10.0.0.1')), false)
})

guard('denies an address after repeated failed handshakes, for a while, and says so', async () => {
  let now = 1_000_000
  const denied: string[] = []
  const g = new InboundGuard({ maxFailedHandshakes: 3, failureWindowMs: 10_000, denyMs: 60_000, now: () => now, onDeny: ip => denied.push(ip) })
  for (let i = 0; i < 3; i++) {
    const c = conn('10.0.0.9')
    assert.is(await g.gater.denyInboundConnection!(c), false)
    c.close()
  }
  assert.equal(denied, ['10.0.0.9'])
  assert.ok(g.isDenied('10.0.0.9'))
  assert.is(await g.gater.denyInboundConnection!(conn('10.0.0.9')), true)
  now += 60_001
  assert.not.ok(g.isDenied('10.0.0.9'))
  assert.is(await g.gater.denyInboundConnection!(conn('10.0.0.9')), false)
})

guard('failures spread wider than the window do not deny', async () => {
  let now = 0
  const g = new InboundGuard({ maxFailedHandshakes: 3, failureWindowMs: 10_000, now: () => now })
  for (let i = 0; i < 6; i++) {
    const c = conn('10.0.0.3')
    await g.gater.denyInboundConnection!(c)
    c.close()
    now += 6000
  }
  assert.not.ok(g.isDenied('10.0.0.3'))
})

guard('never denies an address an authenticated connection is open from (peers sharing a host with an attacker)', async () => {
  const g = new InboundGuard({ maxFailedHandshakes: 2 })
  g.setOpenConnections(() => [{ remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/5555'), status: 'open' }])
  for (let i = 0; i < 10; i++) {
    const c = conn('127.0.0.1')
    assert.is(await g.gater.denyInboundConnection!(c), false)
    c.close()
  }
  assert.not.ok(g.isDenied('127.0.0.1'))
})

guard.run()
