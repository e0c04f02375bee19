import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Libp2p } from '@libp2p/interface'
import { MessageLinks } from '../../../node/mesh/message-links.ts'
import { MEMBERSHIP_CODEC } from '../../../protocol/codec.ts'
import type { MembershipMessage } from '../../../protocol/membership.ts'

const links = suite('MessageLinks')

/** A stream whose buffer is always full: every write waits for a drain that never comes. */
function stuckStream (): { stream: unknown, aborted: () => boolean } {
  let aborted = false
  let rejectDrain: ((err: Error) => void) | undefined
  const stream = {
    status: 'open',
    send: () => false,
    onDrain: () => new Promise<void>((_resolve, reject) => { rejectDrain = reject }),
    abort: (err: Error) => { aborted = true; stream.status = 'aborted'; rejectDrain?.(err) },
    close: async () => {},
    async * [Symbol.asyncIterator] () { /* nothing to read */ }
  }
  return { stream, aborted: () => aborted }
}

links('dropping a peer while a write to it waits for drain neither throws nor crashes the writer', async () => {
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const stuck = stuckStream()
  let dials = 0
  const node = { dialProtocol: async () => { dials++; return stuck.stream } } as unknown as Libp2p
  const l = new MessageLinks<MembershipMessage>(node, MEMBERSHIP_CODEC, { retryMs: 10 })
  const failures: unknown[] = []
  const onRejection = (err: unknown): void => { failures.push(err) }
  process.on('unhandledRejection', onRejection)
  try {
    assert.ok(l.send(peer, { type: 'goodbye', peerId: peer, reason: 'test' }))
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.is(dials, 1)
    l.drop(peer)
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.ok(stuck.aborted(), 'the stuck stream was aborted')
    assert.equal(failures, [], 'no unhandled rejection')
    // the links still work for other sends
    assert.ok(l.send(peer, { type: 'goodbye', peerId: peer, reason: 'again' }))
  } finally {
    process.off('unhandledRejection', onRejection)
    await l.stop()
  }
})

links.run()
