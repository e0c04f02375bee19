/**
 * End to end over real libp2p 3 nodes in one process (TCP + noise + yamux on loopback):
 * framed messages through `createMessageHandler`, a malformed frame aborting only its own
 * stream while the node keeps serving, and a large data exchange that needs 'drain'.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { CLIENT_CODEC, DATA_CODEC } from '../../protocol/codec.ts'
import { createMessageHandler, readMessages, sendMessages } from '../../protocol/message-handler.ts'
import { encodeFrame, writeFrames } from '../../protocol/framing.ts'
import type { ClientMessage } from '../../protocol/client.ts'
import type { DataMessage, WireRecordBatch } from '../../protocol/data.ts'

async function startNode (): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}

let server: Libp2p
let client: Libp2p
const handled: string[] = []
let received = { batches: 0, records: 0, ended: false }

const e2e = suite('protocol over libp2p')

e2e.before(async () => {
  server = await startNode()
  client = await startNode()
  await server.handle(CLIENT_CODEC.protocol, createMessageHandler(CLIENT_CODEC, async (m, ctx) => {
    handled.push(m.type)
    if (m.type === 'status-request') {
      await ctx.send({ type: 'status-response', id: m.id, leader: server.peerId.toString(), term: 1, peers: [] })
    }
  }))
  await server.handle(DATA_CODEC.protocol, createMessageHandler(DATA_CODEC, async (m, ctx) => {
    if (m.type === 'records') {
      received.batches++
      received.records += m.values.length
    } else if (m.type === 'end') {
      received.ended = true
      await ctx.send({ type: 'credit', channel: m.channel, credits: 1 })
    }
  }))
})

e2e.after(async () => {
  await client.stop()
  await server.stop()
})

async function status (id: number): Promise<ClientMessage[]> {
  const stream = await client.dialProtocol(server.getMultiaddrs()[0]!, CLIENT_CODEC.protocol)
  await sendMessages(stream, CLIENT_CODEC, [{ type: 'status-request', id }])
  await stream.close()
  const out: ClientMessage[] = []
  for await (const m of readMessages(stream, CLIENT_CODEC)) out.push(m)
  return out
}

e2e('a status request gets its framed, validated answer', async () => {
  const out = await status(1)
  assert.equal(out, [{ type: 'status-response', id: 1, leader: server.peerId.toString(), term: 1, peers: [] }])
})

e2e('a malformed frame aborts only its stream; other streams and later streams are served', async () => {
  const addr = server.getMultiaddrs()[0]!
  const healthy = await client.dialProtocol(addr, CLIENT_CODEC.protocol)
  const bad = await client.dialProtocol(addr, CLIENT_CODEC.protocol)
  // a valid CBOR map that is no client message
  bad.send(encodeFrame(new Uint8Array([0xa1, 0x64, 0x74, 0x79, 0x70, 0x65, 0x64, 0x6e, 0x6f, 0x70, 0x65])))
  let error: Error | undefined
  const got: unknown[] = []
  try {
    for await (const m of readMessages(bad, CLIENT_CODEC)) got.push(m)
  } catch (err) {
    error = err as Error
  }
  assert.equal(got, [])
  assert.is(error?.name, 'StreamResetError', 'the server reset the bad stream')
  // the stream opened before the bad one still works
  await sendMessages(healthy, CLIENT_CODEC, [{ type: 'status-request', id: 7 }])
  await healthy.close()
  const answers: ClientMessage[] = []
  for await (const m of readMessages(healthy, CLIENT_CODEC)) answers.push(m)
  assert.equal(answers.map(a => [a.type, a.id]), [['status-response', 7]])
  // and so does a new one; the connection itself survived
  assert.equal((await status(8)).map(a => [a.type, a.id]), [['status-response', 8]])
  assert.is(client.getConnections(server.peerId).length, 1)
})

e2e('an oversized frame announced by its prefix aborts its stream at once', async () => {
  const stream = await client.dialProtocol(server.getMultiaddrs()[0]!, CLIENT_CODEC.protocol)
  stream.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])) // ~4 GiB
  let error: Error | undefined
  try {
    for await (const _ of readMessages(stream, CLIENT_CODEC)) { /* nothing comes */ }
  } catch (err) {
    error = err as Error
  }
  assert.is(error?.name, 'StreamResetError')
  assert.equal((await status(9)).map(a => a.id), [9])
})

e2e('1000 batches of 1024 records cross in frames, with the writer waiting for drain', async () => {
  received = { batches: 0, records: 0, ended: false }
  const stream = await client.dialProtocol(server.getMultiaddrs()[0]!, DATA_CODEC.protocol)
  const values = Array.from({ length: 1024 }, (_, i) => ({ sensor: `s-${i % 16}`, ts: i, value: i / 3 }))
  const batch: WireRecordBatch = { type: 'records', channel: 0, values, timestamps: values.map(v => v.ts) }
  const payload = DATA_CODEC.encode(batch)
  for (let i = 0; i < 100; i++) await writeFrames(stream, Array.from({ length: 10 }, () => payload), { maxBytes: DATA_CODEC.maxFrameBytes })
  await sendMessages(stream, DATA_CODEC, [{ type: 'end', channel: 0 }])
  const answers: DataMessage[] = []
  for await (const m of readMessages(stream, DATA_CODEC)) {
    answers.push(m)
    break
  }
  await stream.close()
  assert.equal(answers, [{ type: 'credit', channel: 0, credits: 1 }])
  assert.equal(received, { batches: 1000, records: 1_024_000, ended: true })
})

e2e.run()
