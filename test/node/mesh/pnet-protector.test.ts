import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createRequire } from 'node:module'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { MessageStream } from '@libp2p/interface'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { preSharedKey } from '@libp2p/pnet'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { XSalsa20Stream } from '../../../node/mesh/xsalsa20-stream.ts'
import { PnetProtector, pskKeyBytes } from '../../../node/mesh/pnet-protector.ts'
import { createPsk, parsePsk } from '../../../node/mesh/psk.ts'
import { createMeshHost } from '../../../node/mesh/mesh-host.ts'

/** The cipher under @libp2p/pnet 3.0.27: a stateful keystream per (nonce, key). */
const reference = createRequire(import.meta.url)('xsalsa20') as (nonce: Uint8Array, key: Uint8Array) => { update (input: Uint8Array): Uint8Array, finalize (): void }

const keystream = suite('XSalsa20Stream')

keystream('agrees byte for byte with the xsalsa20 cipher of @libp2p/pnet over writes of every awkward size', () => {
  const key = randomBytes(32)
  const nonce = randomBytes(24)
  const ours = new XSalsa20Stream(key, nonce)
  const theirs = reference(nonce, key)
  const sizes = [1, 63, 64, 65, 0, 3, 127, 128, 1000, 65_535, 65_536, 65_537, 200_001, 7, 64 * 1024 * 3 + 5]
  let total = 0
  for (const size of sizes) {
    const data = randomBytes(size)
    const got = Buffer.concat(ours.xor(data))
    const want = Buffer.from(theirs.update(data))
    assert.ok(got.equals(want), `write of ${size} bytes after ${total}`)
    total += size
  }
  assert.is(ours.position, total)
  theirs.finalize()
})

keystream('splits large input into bounded chunks and leaves the input as it was', () => {
  const ours = new XSalsa20Stream(randomBytes(32), randomBytes(24))
  const data = randomBytes(5 * 1024 * 1024 + 3)
  const copy = Buffer.from(data)
  const chunks = ours.xor(data)
  assert.ok(chunks.every(c => c.length <= 64 * 1024))
  assert.is(chunks.reduce((n, c) => n + c.length, 0), data.length)
  assert.ok(copy.equals(data))
})

keystream.run()

const protector = suite('PnetProtector')

async function collect (stream: MessageStream, bytes: number): Promise<Buffer> {
  const parts: Buffer[] = []
  let n = 0
  for await (const chunk of stream) {
    const b = Buffer.from(chunk instanceof Uint8Array ? chunk : chunk.subarray())
    parts.push(b)
    n += b.length
    if (n >= bytes) break
  }
  return Buffer.concat(parts)
}

async function pair (left: 'ours' | 'theirs', right: 'ours' | 'theirs', keys: [string, string]): Promise<[MessageStream, MessageStream]> {
  const [a, b] = multiaddrConnectionPair()
  const make = (which: 'ours' | 'theirs', key: string) => which === 'ours' ? new PnetProtector({ psk: parsePsk(key) }) : preSharedKey({ psk: parsePsk(key) })()
  return await Promise.all([make(left, keys[0]).protect(a), make(right, keys[1]).protect(b)])
}

for (const [left, right] of [['ours', 'theirs'], ['theirs', 'ours'], ['ours', 'ours']] as const) {
  protector(`a connection protected by ${left} talks to one protected by ${right}, both ways, 3 MB each`, async () => {
    const key = createPsk()
    const [a, b] = await pair(left, right, [key, key])
    const ab = randomBytes(3 * 1024 * 1024)
    const ba = randomBytes(3 * 1024 * 1024 + 17)
    const [atB, atA] = await Promise.all([collect(b, ab.length), collect(a, ba.length), (async () => {
      for (let at = 0; at < ab.length; at += 100_000) a.send(ab.subarray(at, at + 100_000))
      b.send(ba)
    })()])
    assert.ok(atB.equals(ab), 'a -> b')
    assert.ok(atA.equals(ba), 'b -> a')
  })
}

protector('with different keys each side reads noise, not the plaintext', async () => {
  const [a, b] = await pair('ours', 'theirs', [createPsk(), createPsk()])
  const data = randomBytes(4096)
  const [got] = await Promise.all([collect(b, data.length), (async () => { a.send(data) })()])
  assert.is(got.length, data.length)
  assert.not.ok(got.equals(data))
})

protector('a peer that never sends its nonce fails the handshake with a message naming the address', async () => {
  const [a] = multiaddrConnectionPair()
  // AbortSignal.timeout does not keep the process alive; this stands for a peer's other work
  const alive = setInterval(() => {}, 1000)
  try {
    await new PnetProtector({ psk: parsePsk(createPsk()), nonceTimeoutMs: 200 }).protect(a)
    assert.unreachable('the handshake completed')
  } catch (err) {
    assert.is((err as Error).name, 'PnetHandshakeError')
    assert.match((err as Error).message, /did not complete: no nonce within 200 ms/)
  } finally {
    clearInterval(alive)
  }
})

protector('pskKeyBytes takes the swarm.key text or 32 raw bytes, and rejects anything else', () => {
  const text = createPsk()
  const hex = text.trim().split('\n')[2]!
  assert.equal(Buffer.from(pskKeyBytes(parsePsk(text))).toString('hex'), hex)
  assert.equal(Buffer.from(pskKeyBytes(Buffer.from(hex, 'hex'))).toString('hex'), hex)
  assert.throws(() => pskKeyBytes(new Uint8Array(31)), (err: Error) => err.name === 'InvalidPskError')
})

protector('a mesh host with our protector and a libp2p node with @libp2p/pnet connect over TCP and ping, each dialling the other', async () => {
  const key = createPsk()
  const ours = await createMeshHost({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, psk: parsePsk(key), privateKey: await generateKeyPair('Ed25519') })
  const theirs = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionProtector: preSharedKey({ psk: parsePsk(key) }),
    services: { identify: identify(), ping: ping() }
  })
  try {
    const rtt1 = await ours.services.ping.ping(theirs.getMultiaddrs()[0]!, { signal: AbortSignal.timeout(20_000) })
    assert.ok(rtt1 >= 0)
    await ours.hangUp(theirs.peerId)
    // until the other side has seen the close too, it would open its stream on the old connection
    for (let i = 0; i < 1000 && theirs.getConnections().length > 0; i++) await new Promise(resolve => setTimeout(resolve, 20))
    assert.is(theirs.getConnections().length, 0)
    const rtt2 = await theirs.services.ping.ping(ours.getMultiaddrs()[0]!, { signal: AbortSignal.timeout(20_000) })
    assert.ok(rtt2 >= 0)
  } finally {
    await ours.stop()
    await theirs.stop()
  }
})

protector.run()
