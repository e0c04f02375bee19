import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { StreamCloseEvent } from '@libp2p/interface'
import { asError } from '../../../node/mesh/as-error.ts'
import { createMeshHost } from '../../../node/mesh/mesh-host.ts'
import { clientRequest } from '../../../node/cluster/client-request.ts'
import { describeError } from '../../../node/cli/mesh-options.ts'
import { CLIENT_CODEC } from '../../../protocol/codec.ts'

const asErr = suite('asError')

asErr('gives an Event, a string and a message-less Error a message, and keeps an Error as it is', () => {
  const closed = asError(new StreamCloseEvent())
  assert.is(closed.name, 'ConnectionEventError')
  assert.is(closed.message, 'The connection closed')
  assert.is(asError(new StreamCloseEvent(false, new Error('reset by peer'))).message, 'The connection closed: reset by peer')
  assert.is(asError('boom').message, 'boom')
  assert.is(asError(undefined).message, 'Unknown error: undefined')
  assert.is(asError(new TypeError('')).message, 'TypeError')
  const e = new RangeError('x')
  assert.is(asError(e), e)
  assert.is(describeError(new Error('Cannot reach', { cause: new StreamCloseEvent() })), 'Cannot reach: The connection closed')
})

asErr('clientRequest on a connection the peer just closed fails within its signal, with a message, never [object Event]', async () => {
  const a = await createMeshHost({ listen: [], mdns: false, privateKey: await generateKeyPair('Ed25519') })
  const b = await createMeshHost({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, privateKey: await generateKeyPair('Ed25519') })
  await b.handle(CLIENT_CODEC.protocol, () => {})
  const alive = setInterval(() => {}, 1000)
  try {
    const messages: string[] = []
    for (let i = 0; i < 4; i++) {
      await a.dial(b.getMultiaddrs()[0]!)
      // b hangs up; a has not seen the close yet and opens its stream on the closing connection
      const hangUp = b.hangUp(a.peerId)
      try {
        await clientRequest(a, b.peerId, { type: 'status-request', id: i }, { signal: AbortSignal.timeout(2000) })
      } catch (err) {
        messages.push(describeError(err))
      }
      await hangUp
      for (let j = 0; j < 500 && a.getConnections().length > 0; j++) await new Promise(resolve => setTimeout(resolve, 10))
    }
    assert.is(messages.length, 4, 'every request failed')
    for (const m of messages) {
      assert.not.match(m, /\[object /)
      assert.ok(m.length > 0)
    }
  } finally {
    clearInterval(alive)
    await a.stop()
    await b.stop()
  }
})

asErr.run()
